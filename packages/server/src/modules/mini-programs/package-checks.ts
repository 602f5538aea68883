import type { Changes, Check } from '@mpop/contracts';
import { AppError } from '../../lib/app-error.js';
import { normalizeVirtualDomain } from '../host-apps/virtual-domain.js';
import { PACKAGE_LIMITS, type PackageDetails, type PackageLimits } from './zip-inspect.js';

/**
 * The automatic checks of a package version, made at upload from what the inspection found and kept with the
 * version. What is unsafe (zip bombs, entries that climb out, a missing or broken app.json) is refused at upload
 * and never gets this far; the checks grade the rest: `pass`, `warn` (a reviewer should look), or `fail` (the
 * version cannot be submitted for review until a new one fixes it).
 */

/** Device capabilities a mini program may declare in app.json `permissions`. */
export const KNOWN_PERMISSIONS = [
  'bluetooth',
  'calendar',
  'camera',
  'clipboard',
  'contacts',
  'location',
  'microphone',
  'notifications',
  'phone',
  'photos',
  'storage',
  'userInfo',
] as const;
/** Permissions a reviewer should weigh: they reach personal data or sensors. */
const SENSITIVE_PERMISSIONS = new Set(['camera', 'contacts', 'location', 'microphone', 'photos', 'phone']);
const DECLARED_MAX = 100;
/** Names that end up in packages by accident (macOS metadata, version control, editor state). */
const STRAY = /(^|\/)(__MACOSX|\.DS_Store|\.git|\.svn|\.idea|\.vscode|Thumbs\.db)(\/|$)/;

/** What a version's change report compares with: the files, permissions and domains of a package. */
export interface PackageManifest {
  size: number;
  entries: Record<string, [crc32: number, size: number]>;
  permissions: string[];
  domains: string[];
}

const MiB = 1024 * 1024;
const mib = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`;
const check = (name: string, outcome: Check['outcome'], detail: string): Check => ({ name, outcome, detail });

/** The strings of an app.json list field, or the problem with it. */
function declaredList(appJson: Record<string, unknown>, field: string): { values: string[]; problem?: string } {
  const value = appJson[field];
  if (value === undefined) return { values: [] };
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    return { values: [], problem: `"${field}" in app.json must be a list of strings, like ["camera"].` };
  }
  if (value.length > DECLARED_MAX)
    return { values: [], problem: `app.json declares ${value.length} ${field}; at most ${DECLARED_MAX} are accepted.` };
  return { values: [...new Set((value as string[]).map((v) => v.trim()))].filter(Boolean).sort() };
}

/** A declared domain as a host name (`https://` allowed and dropped), or why it is not acceptable. */
function domainOf(raw: string): { host?: string; problem?: string } {
  if (/^http:\/\//i.test(raw)) return { problem: `"${raw.slice(0, 80)}" is plain HTTP; mini programs may only reach https:// domains` };
  const bare = raw.replace(/^https:\/\//i, '').replace(/\/$/, '');
  try {
    return { host: normalizeVirtualDomain(bare) };
  } catch (err) {
    if (err instanceof AppError) return { problem: `"${raw.slice(0, 80)}" is not a host name (like api.example.com)` };
    throw err;
  }
}

function permissionsCheck(appJson: Record<string, unknown>): { check: Check; permissions: string[] } {
  const { values, problem } = declaredList(appJson, 'permissions');
  if (problem) return { check: check('permissions', 'fail', problem), permissions: [] };
  const unknown = values.filter((p) => !(KNOWN_PERMISSIONS as readonly string[]).includes(p));
  if (unknown.length > 0) {
    const detail = `app.json declares unknown permissions: ${unknown.slice(0, 10).join(', ')}. Use only ${KNOWN_PERMISSIONS.join(', ')}.`;
    return { check: check('permissions', 'fail', detail), permissions: values };
  }
  if (values.length === 0) return { check: check('permissions', 'pass', 'app.json declares no permissions.'), permissions: [] };
  const sensitive = values.filter((p) => SENSITIVE_PERMISSIONS.has(p));
  return {
    check:
      sensitive.length > 0
        ? check('permissions', 'warn', `app.json declares ${values.join(', ')}; ${sensitive.join(', ')} reach personal data or sensors.`)
        : check('permissions', 'pass', `app.json declares ${values.join(', ')}.`),
    permissions: values,
  };
}

function domainsCheck(appJson: Record<string, unknown>): { check: Check; domains: string[] } {
  const { values, problem } = declaredList(appJson, 'domains');
  if (problem) return { check: check('domains', 'fail', problem), domains: [] };
  const hosts: string[] = [];
  const problems: string[] = [];
  for (const raw of values) {
    const { host, problem: why } = domainOf(raw);
    if (host) hosts.push(host);
    else if (why) problems.push(why);
  }
  const domains = [...new Set(hosts)].sort();
  if (problems.length > 0)
    return { check: check('domains', 'fail', `In app.json "domains": ${problems.slice(0, 5).join('; ')}.`), domains };
  return {
    check: check('domains', 'pass', domains.length ? `app.json declares ${domains.join(', ')}.` : 'app.json declares no domains.'),
    domains,
  };
}

/** Runs every check on an accepted package. @returns the checks and the manifest the next versions compare with. */
export function runChecks(
  details: PackageDetails,
  zipBytes: number,
  maxPackageBytes: number,
  limits: PackageLimits = PACKAGE_LIMITS,
): { checks: Check[]; manifest: PackageManifest } {
  const checks: Check[] = [];
  const { entries, uncompressedBytes } = details;
  checks.push(
    zipBytes > 0.8 * maxPackageBytes || uncompressedBytes > 0.8 * limits.maxUncompressedBytes
      ? check(
          'size',
          'warn',
          `The package is ${mib(zipBytes)} (limit ${mib(maxPackageBytes)}) and expands to ${mib(uncompressedBytes)}; it is close to the limits.`,
        )
      : check('size', 'pass', `The package is ${mib(zipBytes)} and expands to ${mib(uncompressedBytes)}.`),
  );
  checks.push(
    entries.length > 0.8 * limits.maxEntries
      ? check('entries', 'warn', `${entries.length} files, close to the limit of ${limits.maxEntries}.`)
      : check('entries', 'pass', `${entries.length} files.`),
  );
  const ratio = uncompressedBytes / Math.max(zipBytes, 1);
  checks.push(
    uncompressedBytes > limits.ratioFloorBytes && ratio > limits.maxRatio / 2
      ? check('compression', 'warn', `It expands ${ratio.toFixed(1)} times; more than ${limits.maxRatio} is refused as a zip bomb.`)
      : check('compression', 'pass', `It expands ${ratio.toFixed(1)} times.`),
  );
  const stray = entries.filter((e) => STRAY.test(e.name)).map((e) => e.name);
  checks.push(
    stray.length > 0
      ? check('paths', 'warn', `Files that look left in by accident: ${stray.slice(0, 5).join(', ')}${stray.length > 5 ? ', …' : ''}.`)
      : check('paths', 'pass', 'Every path is a plain relative path.'),
  );
  checks.push(
    details.pages.length === 0
      ? check('app-json', 'warn', `${details.appJsonName} lists no pages; the mini program opens at /index.html.`)
      : check('app-json', 'pass', `${details.appJsonName} lists ${details.pages.length} page(s); it opens at ${details.mainUrl}.`),
  );
  const { check: permissions, permissions: declaredPermissions } = permissionsCheck(details.appJson);
  const { check: domains, domains: declaredDomains } = domainsCheck(details.appJson);
  checks.push(permissions, domains);
  const manifest: PackageManifest = {
    size: zipBytes,
    entries: Object.fromEntries(entries.map((e) => [e.name, [e.crc32, e.size]])),
    permissions: declaredPermissions,
    domains: declaredDomains,
  };
  return { checks, manifest };
}

/**
 * What changed from the version released last (`previous`) to this one. A previous version uploaded before
 * change reports existed has no manifest: only the size delta is known then.
 */
export function changesSince(
  previous: { version: string; size: number; manifest: PackageManifest | null } | undefined,
  current: PackageManifest,
): Changes {
  if (!previous) {
    return { fromVersion: null, filesAdded: [], filesRemoved: [], filesChanged: [], sizeDelta: 0, permissionsAdded: [], domainsAdded: [] };
  }
  const before = previous.manifest;
  const sizeDelta = current.size - previous.size;
  if (!before) {
    return {
      fromVersion: previous.version,
      filesAdded: [],
      filesRemoved: [],
      filesChanged: [],
      sizeDelta,
      permissionsAdded: [],
      domainsAdded: [],
    };
  }
  const filesAdded: string[] = [];
  const filesChanged: string[] = [];
  for (const [name, [crc, size]] of Object.entries(current.entries)) {
    const old = before.entries[name];
    if (!old) filesAdded.push(name);
    else if (old[0] !== crc || old[1] !== size) filesChanged.push(name);
  }
  const filesRemoved = Object.keys(before.entries).filter((name) => !(name in current.entries));
  return {
    fromVersion: previous.version,
    filesAdded: filesAdded.sort(),
    filesRemoved: filesRemoved.sort(),
    filesChanged: filesChanged.sort(),
    sizeDelta,
    permissionsAdded: current.permissions.filter((p) => !before.permissions.includes(p)),
    domainsAdded: current.domains.filter((d) => !before.domains.includes(d)),
  };
}
