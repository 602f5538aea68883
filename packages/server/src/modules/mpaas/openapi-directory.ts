import { createRequire } from 'node:module';
import type { MpaasApp, MpaasWorkspace } from '@mpop/contracts';
import { AppError } from '../../lib/app-error.js';
import { mpaasUnavailable, type MpaasDirectory } from './mpaas-directory.js';

// The official generic Alibaba Cloud OpenAPI client signs (ACS3-HMAC-SHA256) and sends the calls. It is CommonJS
// whose `default` export is the client class, so it is loaded with require to get the real shapes.
const require = createRequire(import.meta.url);
const OpenApi = require('@alicloud/openapi-client') as typeof import('@alicloud/openapi-client');
const TeaUtil = require('@alicloud/tea-util') as typeof import('@alicloud/tea-util');

const API_VERSION = '2020-10-28';

export interface OpenApiSettings {
  /** `https://mpaas.cn-hangzhou.aliyuncs.com`, a bare host (https is assumed) or `http://host:port` (private cloud, tests). */
  endpoint: string;
  accessKeyId: string;
  accessKeySecret: string;
  region?: string;
  timeoutMs: number;
}

type Json = Record<string, unknown>;

/** Reads the mPaaS backend through its OpenAPI: RPC style, version 2020-10-28. */
export class OpenApiDirectory implements MpaasDirectory {
  private readonly client: InstanceType<typeof OpenApi.default>;
  private readonly host: string;

  constructor(private readonly s: OpenApiSettings) {
    const url = new URL(/^https?:\/\//.test(s.endpoint) ? s.endpoint : `https://${s.endpoint}`);
    this.host = url.host;
    this.client = new OpenApi.default(
      new OpenApi.Config({
        accessKeyId: s.accessKeyId,
        accessKeySecret: s.accessKeySecret,
        endpoint: url.host,
        protocol: url.protocol.replace(':', ''),
        regionId: s.region,
        readTimeout: s.timeoutMs,
        connectTimeout: Math.min(s.timeoutMs, 5000),
      }),
    );
  }

  async listApps(): Promise<MpaasApp[]> {
    const body = await this.call('ListMappCenterApps');
    const list = (body.ListMappCenterAppResult as Json | undefined)?.MappCenterAppList;
    if (!Array.isArray(list)) throw this.badAnswer('ListMappCenterApps', body);
    return list
      .map((a: Json) => ({
        appId: String(a.AppId ?? ''),
        appName: String(a.AppName ?? a.AppId ?? ''),
        tenantId: String(a.TenantId ?? ''),
        ...(a.AppDesc ? { appDesc: String(a.AppDesc) } : {}),
      }))
      .filter((a) => a.appId);
  }

  async listWorkspaces(): Promise<MpaasWorkspace[]> {
    const body = await this.call('ListMappCenterWorkspaces');
    const list = (body.ListMappCenterWorkspaceResult as Json | undefined)?.MappCenterWorkspaceList;
    if (!Array.isArray(list)) throw this.badAnswer('ListMappCenterWorkspaces', body);
    return list
      .map((w: Json) => ({
        workspaceId: String(w.WorkspaceId ?? ''),
        displayName: String(w.DisplayName ?? w.WorkspaceId ?? ''),
        tenantId: String(w.TenantId ?? ''),
      }))
      .filter((w) => w.workspaceId);
  }

  private async call(action: string): Promise<Json> {
    const params = new OpenApi.Params({
      action,
      version: API_VERSION,
      protocol: 'HTTPS',
      pathname: '/',
      method: 'POST',
      authType: 'AK',
      style: 'RPC',
      reqBodyType: 'formData',
      bodyType: 'json',
    });
    const request = new OpenApi.OpenApiRequest({ query: {} });
    const runtime = new TeaUtil.RuntimeOptions({
      autoretry: false,
      readTimeout: this.s.timeoutMs,
      connectTimeout: Math.min(this.s.timeoutMs, 5000),
    });
    let timer: NodeJS.Timeout | undefined;
    // The client's own timeouts cover the socket; this bounds the whole call, whatever the upstream does.
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error('deadline'), { code: 'MPOP_DEADLINE' })), this.s.timeoutMs + 500);
    });
    try {
      const res = (await Promise.race([this.client.callApi(params, request, runtime), deadline])) as { body?: Json };
      const body = res.body ?? {};
      const result = (body.ListMappCenterAppResult ?? body.ListMappCenterWorkspaceResult) as Json | undefined;
      if (result && result.Success === false)
        throw mpaasUnavailable(`The mPaaS backend refused ${action}: ${this.clean(String(result.ResultMsg ?? 'no message'))}`);
      return body;
    } catch (err) {
      throw this.translate(action, err);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Turns a client error into 502/504 with mPaaS's own message, never the access key secret. */
  private translate(action: string, err: unknown) {
    if (err instanceof AppError) return err;
    const e = err as { code?: string; message?: string; data?: Json; name?: string };
    const message = this.clean(String(e.data?.Message ?? e.data?.message ?? e.message ?? e));
    if (e.code === 'MPOP_DEADLINE' || /timeout|timed out/i.test(`${e.name} ${e.code} ${e.message}`)) {
      return mpaasUnavailable(
        `The mPaaS backend at ${this.host} did not answer ${action} within ${Math.round(this.s.timeoutMs / 1000)} s. Try again later.`,
        504,
      );
    }
    if (/ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ECONNRESET|socket hang up/i.test(`${e.code} ${e.message}`)) {
      return mpaasUnavailable(`The mPaaS backend at ${this.host} could not be reached (${message}). Check MPAAS_ENDPOINT and the network.`);
    }
    const code = e.data?.Code ?? e.code;
    return mpaasUnavailable(
      `The mPaaS backend answered ${action} with an error${code ? ` (${this.clean(String(code))})` : ''}: ${message}`,
    );
  }

  private badAnswer(action: string, body: Json) {
    return mpaasUnavailable(
      `The mPaaS backend answered ${action} in an unexpected shape (${this.clean(Object.keys(body).join(', ') || 'empty body')}).`,
    );
  }

  /** Defence in depth: whatever upstream echoes, the secret never reaches a client or a log. */
  private clean(text: string): string {
    return text.split(this.s.accessKeySecret).join('***').slice(0, 500);
  }
}
