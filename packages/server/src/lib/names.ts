import { validationFailed } from './app-error.js';

/**
 * The rules for every name a person gives something (host apps, mini programs, API tokens) and for any text that
 * may reach storage. One module, so every entry refuses the same hostile text and look-alikes meet the same key.
 *
 * - Refused anywhere: NUL and other control characters (PostgreSQL cannot store NUL; terminals and logs
 *   misbehave on the others) and lone UTF-16 surrogates (not text: they become U+FFFD on the way to storage).
 * - Refused in names: bidirectional controls (U+202A-U+202E, U+2066-U+2069, LRM/RLM/ALM), which make
 *   "evil‮gpj.exe" display as something else; every other invisible format character (Unicode category Cf: zero-width
 *   space, word joiner, BOM, soft hyphen, tags…), which makes two names that look the same differ; and names with
 *   nothing visible in them. The one exception is a joiner that does visible work: ZWJ inside an emoji sequence
 *   (👨‍👩‍👧), and ZWJ/ZWNJ between letters of scripts that shape with them (Persian, the Indic scripts).
 *   Names from another system (`sanitizeName`) have these characters dropped instead.
 * - Normalised: NFC, every run of white space becomes one space, trimmed ends.
 * - Compared by `nameKey`: compatibility forms folded (NFKC: "Ａｃｍｅ" is "Acme"), invisible characters dropped
 *   ("Ac\u200Bme" is "Acme"), lower case. Two names with the same key cannot coexist where names are unique.
 */

const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/u;
const NUL = /\u0000/u;
/** With the `u` flag a surrogate range matches only surrogates that are not half of a pair. */
const LONE_SURROGATE = /[\ud800-\udfff]/u;
const BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;
/** Code points that render as nothing: default-ignorables (ZWSP, ZWJ, soft hyphen, BOM…) and blank fillers. */
const INVISIBLE = /[\p{Default_Ignorable_Code_Point}\u115f\u1160\u2800\u3164\uffa0]/gu;
const SPACES = /[\s\p{Zs}\p{Zl}\p{Zp}]+/gu;
const FORMAT = /\p{Cf}/u;
const EMOJI = /^(?:\p{Extended_Pictographic}|\p{Emoji_Modifier}|\ufe0f)$/u;
/** Letters and marks of the scripts where ZWJ/ZWNJ change how a word is shaped (a visible difference). */
const JOINING_SCRIPT =
  /[\p{Script=Arabic}\p{Script=Syriac}\p{Script=Devanagari}\p{Script=Bengali}\p{Script=Gurmukhi}\p{Script=Gujarati}\p{Script=Oriya}\p{Script=Tamil}\p{Script=Telugu}\p{Script=Kannada}\p{Script=Malayalam}\p{Script=Sinhala}\p{Script=Mongolian}]/u;

/** Whether the code point at `i` is an invisible format character (Cf) that does no visible work there. */
function strayFormat(chars: string[], i: number): boolean {
  const c = chars[i];
  if (!FORMAT.test(c)) return false;
  const before = chars[i - 1] ?? '';
  const after = chars[i + 1] ?? '';
  if (c === '\u200d' && EMOJI.test(before) && EMOJI.test(after)) return false;
  if ((c === '\u200c' || c === '\u200d') && JOINING_SCRIPT.test(before) && JOINING_SCRIPT.test(after)) return false;
  return true;
}

const codePoint = (c: string) => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;

/**
 * A JSON Schema pattern (Ajv and TypeBox compile patterns with the `u` flag) for free text that reaches storage or
 * a query: no control characters, no lone surrogates. Tabs and line breaks are refused too.
 */
export const SAFE_TEXT_PATTERN = '^[^\\u0000-\\u001f\\u007f-\\u009f\\ud800-\\udfff]*$';

/** Why a string may not reach storage, or undefined when it may. Checked on every request by the hostile-input hook. */
export function unsafeTextReason(text: string): string | undefined {
  if (NUL.test(text)) return 'must not contain NUL characters';
  if (LONE_SURROGATE.test(text)) return 'must be valid Unicode text (it holds a lone surrogate)';
  return undefined;
}

export interface NameRules {
  /** The field's path in the request, for `errors[]` (`name`). */
  field: string;
  /** How the console calls the field, for the message (`The App name`). */
  label: string;
  /** Characters (code points) after normalisation. */
  max: number;
}

/**
 * Normalises a name and refuses hostile ones with 400 VALIDATION_FAILED naming the field.
 * @returns the name to store: NFC, spaces collapsed, trimmed.
 */
export function cleanName(raw: string, rules: NameRules): string {
  const refuse = (why: string) => validationFailed(rules.field, `${rules.label} ${why}`);
  const reason = unsafeTextReason(raw);
  if (reason) throw refuse(`${reason}.`);
  if (CONTROL.test(raw)) throw refuse('must not contain control characters.');
  if (BIDI.test(raw)) throw refuse('must not contain right-to-left or left-to-right override characters.');
  const chars = [...raw];
  const format = chars.find((_, i) => strayFormat(chars, i));
  if (format) {
    throw refuse(
      `must not contain invisible formatting characters such as zero-width spaces (it holds ${codePoint(format)}); retype the name without it.`,
    );
  }
  const name = raw.normalize('NFC').replace(SPACES, ' ').trim();
  if (!name) throw refuse('must not be empty.');
  if (!name.replace(INVISIBLE, '').replace(SPACES, '')) throw refuse('must contain visible characters.');
  if ([...name].length > rules.max) throw refuse(`must be at most ${rules.max} characters.`);
  return name;
}

/**
 * The comparison key of a name: what uniqueness and search use. Look-alikes (compatibility forms, invisible
 * characters, case, spacing) share a key.
 */
export function nameKey(name: string): string {
  return name.normalize('NFKC').replace(INVISIBLE, '').replace(SPACES, ' ').trim().toLowerCase().normalize('NFC');
}

/**
 * For names that come from another system (an mPaaS app name): drops what `cleanName` would refuse instead of
 * refusing, so a sync is not blocked by the other system's data. @returns the cleaned name, or `fallback` when
 * nothing visible is left.
 */
export function sanitizeName(raw: string, max: number, fallback: string): string {
  const chars = [...raw];
  const stripped = chars
    .filter((_, i) => !strayFormat(chars, i))
    .join('')
    .replace(new RegExp(`${CONTROL.source}|${NUL.source}|${LONE_SURROGATE.source}|${BIDI.source}`, 'gu'), '')
    .normalize('NFC')
    .replace(SPACES, ' ')
    .trim();
  const name = [...stripped].slice(0, max).join('').trim();
  return name.replace(INVISIBLE, '').replace(SPACES, '') ? name : fallback;
}
