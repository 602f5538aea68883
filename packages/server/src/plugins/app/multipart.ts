import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import multipart, { type MultipartFile } from '@fastify/multipart';
import { type TSchema, type TUnsafe, Type } from 'typebox';
import type { Ajv } from 'ajv';
import { routeHooks } from './route-hooks.js';
import { AppError } from '../../lib/app-error.js';

/**
 * Multipart uploads declared by their body schema. A route whose `schema.body` has `FileField`s is an upload route:
 * `@fastify/multipart` parses its body before validation (`attachFieldsToBody: 'keyValues'`), each file is handed to
 * its field's `FileSink` while it streams in (a package goes to disk while hashed, a key file stays a bounded buffer),
 * and the body then holds the text fields and what the sinks returned, validated by the schema like any JSON body.
 * The parser's limits are derived here from the schema, once; OpenAPI shows the fields and the files (binary).
 */

/** Where one file field's bytes go while the body is parsed. */
export interface FileSink<T extends object> {
  /** The largest file accepted; the parser stops reading a file past it. */
  maxBytes: number;
  /** The 413 problem for a file over `maxBytes`. */
  tooLarge: () => AppError;
  /** Consumes the file stream (to its end, or until it is cut at `maxBytes`) and returns what the handler gets. */
  receive: (file: Readable, fileName: string) => Promise<T>;
  /** Undoes `receive` (removes a temporary file); called once the answer is decided, whatever it is. */
  discard?: (value: T) => Promise<void>;
  /** A text field of this name is read as the file's content (an empty one counts as left out). */
  acceptsText?: { fileName: string };
}

/** The largest text field value read; a longer one is cut here, and every field's own checks then refuse it. */
export const FIELD_MAX_BYTES = 16 * 1024 + 1;
/** Text fields per request (duplicates included, so that a repeated field is refused by name, not by a limit). */
const FIELDS_MAX = 16;

const kSink = Symbol('mpop.fileSink');
const kReceived = Symbol('mpop.receivedFile');
const kPending = Symbol('mpop.pendingUploads');

type AnySink = FileSink<object>;
interface UploadRoute {
  sinks: Record<string, AnySink>;
  fields: string[];
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Set by this plugin for routes whose body schema has file fields. */
    upload?: UploadRoute;
  }
  interface FastifyRequest {
    [kPending]?: (() => Promise<void>)[];
  }
}

/** A file field of a multipart body schema: OpenAPI shows `string`/`binary`; the handler gets what `sink` returns. */
export function FileField<T extends object>(sink: FileSink<T>, options: { description: string }): TUnsafe<T> {
  return Type.Unsafe<T>({ ...options, isFile: true, [kSink]: sink });
}

/** A sink that keeps a small file in memory (a key file), never more than `maxBytes` of it. */
export function bufferSink(options: Pick<FileSink<object>, 'maxBytes' | 'tooLarge' | 'acceptsText'>): FileSink<ReceivedBuffer> {
  return {
    ...options,
    async receive(file, fileName) {
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of file as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size <= options.maxBytes) chunks.push(chunk);
      }
      if (size > options.maxBytes) throw options.tooLarge();
      return { fileName, data: Buffer.concat(chunks) };
    },
  };
}

export interface ReceivedBuffer {
  fileName: string;
  data: Buffer;
}

const isReceived = (data: unknown) => typeof data === 'object' && data !== null && (data as { [kReceived]?: true })[kReceived] === true;

/**
 * The Ajv keyword behind `FileField`, as @fastify/multipart's own `ajvFilePlugin`: the value must be a file this
 * plugin received (a JSON look-alike cannot carry the brand). The schema itself is left as it is (it is shared by
 * every app built in this process); `fileFieldsForOpenApi` shows the field as a binary string.
 */
export function fileKeyword(ajv: Ajv): Ajv {
  return ajv.addKeyword({
    keyword: 'isFile',
    schemaType: 'boolean',
    validate: (_on: boolean, data: unknown) => isReceived(data),
    errors: false,
  });
}

/** For @fastify/swagger's `transformObject`: every `FileField` becomes `{ type: string, format: binary }`. */
export function fileFieldsForOpenApi<T>(generated: T): T {
  // A copy: the generated document may share objects with the routes' schemas, which validation still uses.
  const document = JSON.parse(JSON.stringify(generated)) as T;
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (node && typeof node === 'object') {
      const o = node as Record<string, unknown>;
      if (o.isFile === true) {
        delete o.isFile;
        Object.assign(o, { type: 'string', format: 'binary' });
      }
      Object.values(o).forEach(visit);
    }
  };
  visit(document);
  return document;
}

/** What busboy throws for a body that is not the multipart/form-data its header announces (no boundary, cut off...). */
const PARSE_ERRORS = [
  /^Multipart: Boundary not found$/,
  /^Boundary required$/,
  /^The needle /, // a boundary longer than 256 characters, or an empty one
  /^Unexpected end of multipart data$/,
  / terminated early due to unexpected end of multipart data$/,
];

/** RFC 2046: `boundary=` 1 to 70 characters, quoted or not, not ending in a space. */
function hasValidBoundary(contentType: string): boolean {
  const m = /;\s*boundary\s*=\s*(?:"([^"]*)"|([^;\s]*))/i.exec(contentType);
  const boundary = m?.[1] ?? m?.[2];
  return boundary !== undefined && /^[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]$/.test(boundary);
}

export const isMultipartParseError = (err: unknown) =>
  err instanceof Error && !(err as { statusCode?: number }).statusCode && PARSE_ERRORS.some((p) => p.test(err.message));

const malformed = (route: UploadRoute) => {
  const files = Object.keys(route.sinks);
  const fields = route.fields.filter((f) => !files.includes(f));
  return new AppError(
    'MALFORMED_REQUEST',
    `Send this as a complete multipart/form-data body with ${[...fields.map((f) => `the field ${f}`), ...files.map((f) => `the file ${f}`)].join(', ')}.`,
  );
};

/** Finds the file fields of a route's body schema (also inside `Type.Optional`). */
function uploadRoute(body: unknown): UploadRoute | undefined {
  const properties = (body as { properties?: Record<string, TSchema & { [kSink]?: AnySink }> } | undefined)?.properties;
  if (!properties) return undefined;
  const sinks = Object.fromEntries(Object.entries(properties).flatMap(([name, s]) => (s[kSink] ? [[name, s[kSink]]] : [])));
  return Object.keys(sinks).length > 0 ? { sinks, fields: Object.keys(properties) } : undefined;
}

async function discardPending(request: FastifyRequest) {
  const pending = request[kPending];
  request[kPending] = undefined;
  for (const discard of pending ?? []) await discard().catch((err) => request.log.warn({ err }, 'could not remove an upload'));
}

async function receive(request: FastifyRequest, route: UploadRoute, sink: AnySink, file: Readable, fileName: string) {
  let sourceError: unknown;
  file.once('error', (err) => (sourceError = err));
  let value: object;
  try {
    value = await sink.receive(file, fileName);
  } catch (err) {
    if (err === sourceError || isMultipartParseError(err)) throw malformed(route);
    throw err;
  }
  request[kPending] = [...(request[kPending] ?? []), () => sink.discard?.(value) ?? Promise.resolve()];
  if ((file as { truncated?: boolean }).truncated) throw sink.tooLarge();
  Object.defineProperty(value, kReceived, { value: true });
  return value;
}

/** After the parser (route hooks run after the global ones): refuse what the schema cannot see. */
async function checkUploadBody(request: FastifyRequest) {
  const route = request.routeOptions.config.upload;
  if (!route) return;
  if (!request.isMultipart()) throw malformed(route);
  const body = (request.body ?? {}) as Record<string, unknown>;
  for (const [name, raw] of Object.entries(body)) {
    if (Array.isArray(raw)) {
      throw new AppError('VALIDATION_FAILED', `The field ${name} was sent more than once; send it once.`, {
        errors: [{ path: name, message: 'must be sent once' }],
      });
    }
    // Form fields are typed by hand or by scripts: surrounding white space is not part of the value.
    const value = typeof raw === 'string' ? raw.trim() : raw;
    body[name] = value;
    const sink = route.sinks[name];
    if (sink?.acceptsText && typeof value === 'string') {
      if (value === '') delete body[name];
      else if (Buffer.byteLength(value) > sink.maxBytes) throw sink.tooLarge();
      else body[name] = await receive(request, route, sink, Readable.from([Buffer.from(value)]), sink.acceptsText.fileName);
    }
  }
  request.body = body;
}

async function discardBeforeAnswer(request: FastifyRequest, _reply: FastifyReply, payload: unknown) {
  await discardPending(request);
  return payload;
}

export default fp(
  async (app) => {
    // Routes are registered after this plugin: each upload route gets its parser limits from its schema.
    app.addHook('onRoute', (route: RouteOptions) => {
      const upload = uploadRoute(route.schema?.body);
      if (!upload) return;
      const sinks = Object.values(upload.sinks);
      route.config = {
        ...route.config,
        upload,
        multipartOptions: {
          limits: {
            files: sinks.length,
            fileSize: Math.max(...sinks.map((s) => s.maxBytes)),
            fields: FIELDS_MAX,
            parts: FIELDS_MAX + sinks.length,
            fieldSize: FIELD_MAX_BYTES,
          },
        },
      };
      route.schema = { ...route.schema, consumes: ['multipart/form-data'] };
      // Only upload routes pay for these (the client API is the hot path): refuse what the schema cannot see, and
      // leave nothing behind when the upload is rejected (temporary files go before the answer does).
      route.preValidation = [...routeHooks(route.preValidation), checkUploadBody];
      route.onSend = [...routeHooks(route.onSend), discardBeforeAnswer];
      route.onResponse = [...routeHooks(route.onResponse), discardPending];
    });

    // Before the parser: busboy treats some broken boundaries as an empty form (or as an error, by timing).
    app.addHook('preParsing', (request, _reply, payload, done) => {
      const type = request.headers['content-type'] ?? '';
      if (/^\s*multipart\/form-data\b/i.test(type) && !hasValidBoundary(type)) {
        return done(
          new AppError(
            'MALFORMED_REQUEST',
            'The Content-Type multipart/form-data needs a boundary of 1 to 70 characters (RFC 2046); send the form as a browser or curl -F does.',
          ),
        );
      }
      done(null, payload);
    });

    await app.register(multipart, {
      attachFieldsToBody: 'keyValues',
      // Other routes take no multipart body: the plugin's defaults would let one through with a 1 MiB file.
      limits: { files: 0, fields: 0, parts: 0, fileSize: 0 },
      async onFile(this: FastifyRequest, part: MultipartFile) {
        const route = this.routeOptions.config.upload;
        const sink = route?.sinks[part.fieldname];
        if (!route || !sink) {
          part.file.resume();
          const known = route?.fields.includes(part.fieldname);
          throw new AppError(
            'VALIDATION_FAILED',
            `The part "${part.fieldname}" is a file; ${known ? 'send it as a text field' : 'this endpoint takes no such file'}.`,
            {
              errors: [{ path: part.fieldname, message: known ? 'must be a text field, not a file' : 'is not a known field' }],
            },
          );
        }
        (part as { value?: unknown }).value = await receive(this, route, sink, part.file, part.filename);
      },
    });
  },
  { name: 'mpop-multipart' },
);
