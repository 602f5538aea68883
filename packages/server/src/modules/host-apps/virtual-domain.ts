import { domainToASCII } from 'node:url';
import { VIRTUAL_DOMAIN_MAX } from '@mpop/contracts';
import { AppError } from '../../lib/app-error.js';

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/**
 * Normalises and checks a virtual domain (docs/api.md, "Development configuration"): a registered-style host name with at least two labels;
 * no scheme, port, path, IP address or wildcard. Internationalised names are stored as punycode.
 * @returns the lower-case ASCII host name.
 */
export function normalizeVirtualDomain(input: string): string {
  const raw = input.trim();
  const reject = (why: string) =>
    new AppError('INVALID_VIRTUAL_DOMAIN', `The virtual domain ${why}. Enter a host name only, like example.com.`, {
      errors: [{ path: 'virtualDomain', message: why }],
    });
  if (!raw) throw reject('is empty');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) throw reject('must not include a scheme such as https://');
  if (raw.includes('*')) throw reject('must not be a wildcard');
  if (/[/?#]/.test(raw)) throw reject('must not include a path, query or fragment');
  if (raw.includes(':') || raw.includes('[')) throw reject('must not include a port or be an IPv6 address');
  if (raw.includes('@')) throw reject('must not include user information');
  const ascii = /^[\x00-\x7f]*$/.test(raw) ? raw.toLowerCase() : domainToASCII(raw.toLowerCase());
  if (!ascii) throw reject('is not a valid host name');
  if (ascii.length > VIRTUAL_DOMAIN_MAX) throw reject(`is longer than ${VIRTUAL_DOMAIN_MAX} characters`);
  const labels = ascii.split('.');
  if (labels.length < 2) throw reject('needs at least two labels (like example.com); names such as "localhost" are not allowed');
  if (labels.some((l) => !LABEL.test(l))) {
    throw reject(
      'has a label that is empty, longer than 63 characters, has characters other than letters, digits and hyphens, or starts or ends with a hyphen',
    );
  }
  if (/^[0-9]+$/.test(labels[labels.length - 1])) throw reject('must not be an IP address');
  return ascii;
}
