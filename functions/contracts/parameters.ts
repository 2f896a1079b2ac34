import * as z from 'zod/mini';
import { label } from './labels';
import { MODEL_NAME_MAX_LENGTH, MODEL_NAME_PATTERN, MODEL_NAME_RULE } from '../registry/model-name';
import { MAX_VERSION_NUMBER } from '../versions/version-records';

/**
 * A positive whole number sent as text (a query parameter or a path segment): `1` to `max`,
 * without sign, leading zeros or exponent.
 */
export const wholeNumberText = (max: number, description: string) =>
  z.pipe(
    z.string().check(
      // As many digits as `max` has, at most: the pattern a client can check, before the bound.
      z.regex(new RegExp(`^[1-9][0-9]{0,${String(max).length - 1}}$`), `must be a whole number from 1 to ${max}`),
      z.refine((text) => Number(text) <= max, `must be a whole number from 1 to ${max}`),
    ),
    z.transform(Number),
  ).register(z.globalRegistry, { description: `${description} (1 to ${max})` });

/** Any case of each word, for a JSON Schema pattern (which takes no flags): `[Tt][Rr][Uu][Ee]`. */
export const anyCase = (word: string) => [...word].map((letter) => (/[a-z]/.test(letter) ? `[${letter.toUpperCase()}${letter}]` : letter)).join('');

/**
 * A yes/no query parameter spelled with `yes` or `no` words, in any case (`''` in `yes` or `no`:
 * a bare or empty parameter is that answer). API Gateway joins a repeated parameter's values with
 * commas (`mine=1&mine=yes` arrives as `1,yes`), so each value is read alone: repeats that agree
 * are that answer, and repeats that disagree are refused rather than one of them silently winning.
 */
const yesNoText = (yes: readonly string[], no: readonly string[], rule: string, description: string, documented = rule) => {
  const value = `(?:${[...yes, ...no].filter(Boolean).map(anyCase).join('|')})${[...yes, ...no].includes('') ? '?' : ''}`;
  return z.pipe(
    z.string().register(z.globalRegistry, { pattern: `^${value}(?:,${value})*$` }),
    z.transform((raw: string, context) => {
      const answers = new Set(raw.split(',').map((item) => (yes.includes(item.toLowerCase()) ? true : no.includes(item.toLowerCase()) ? false : undefined)));
      if (answers.has(undefined)) context.issues.push({ code: 'custom', input: raw, message: `must be ${rule}` });
      else if (answers.size > 1) context.issues.push({ code: 'custom', input: raw, message: 'is given more than once, both yes and no; give it once' });
      return answers.has(true);
    }),
  ).register(z.globalRegistry, { description: `${description}: ${documented}; any case` });
};

/** A yes/no query parameter: `1`, `true`, `yes` or bare (`?mine`) for yes, `0`, `false` or `no` for no. */
export const flagText = (description: string) =>
  yesNoText(['1', 'true', 'yes', ''], ['0', 'false', 'no'], '1, true or yes (or bare) for yes, or 0, false or no for no', description, '1, true or yes (or bare) for yes; 0, false or no for no');

/**
 * A yes/no query parameter that takes `true` or `false` only, for a switch whose default is yes,
 * where a bare or empty value (`?redirect=`) would be read both ways.
 */
export const booleanText = (description: string) => yesNoText(['true'], ['false'], 'true or false', description);

/** `{name}`: checked by the model-name rules before anything else reads the request (model-name.ts). */
export const modelNameParam = z.string().check(z.minLength(1), z.maxLength(MODEL_NAME_MAX_LENGTH), z.regex(MODEL_NAME_PATTERN)).register(z.globalRegistry, {
  description: `The model name: ${MODEL_NAME_RULE}`,
});

export const versionQuery = wholeNumberText(MAX_VERSION_NUMBER, 'A version number; without it, the latest ready version');

/** The path ids MLHub issues (upload and token ids) are far shorter than any key limit. */
export const issuedIdParam = (description: string) => z.string().check(z.minLength(1), z.maxLength(256)).register(z.globalRegistry, { description });

export const modelParams = z.object({ name: modelNameParam });

/** Why a record is deleted, as its tombstone will say when the delete withdraws a publication. */
export const withdrawalReasonQuery = z.object({
  // Shown on a tombstone and sent to DataCite: one readable line, as a label is.
  reason: z.optional(label(1000).register(z.globalRegistry, {
    description: "Why it is deleted: a published version's tombstone, and its DOI's Withdrawn date, say so (1 to 1000 characters, no control, format or line-separator characters)",
  })),
});
