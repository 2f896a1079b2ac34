/**
 * HTML written by template literals with every interpolated value escaped (HTML Living Standard,
 * "Serializing HTML fragments": `&`, `<`, `>`, `"` and `'` as character references), so that a
 * model's title or a reason for withdrawal is text, whatever it holds; markup already made by
 * `html` passes through unescaped.
 */

/** Markup made by `html` (or trusted on purpose): interpolated as it is. */
export class Markup {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);

type Interpolated = Markup | string | number | null | undefined | false | readonly Interpolated[];

function render(value: Interpolated): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof Markup) return value.text;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

/** A template of markup: strings are escaped, lists joined, `null`, `undefined` and `false` left out. */
export function html(strings: TemplateStringsArray, ...values: Interpolated[]): Markup {
  return new Markup(strings.reduce((out, part, index) => out + part + (index < values.length ? render(values[index] as Interpolated) : ''), ''));
}

/**
 * JSON for a `<script type="application/ld+json">` data block: `<`, `>` and `&` as JSON's
 * `\u` escapes, so that no string in it can close the element (`</script>`) or open a comment.
 */
export const jsonForScript = (value: unknown): Markup =>
  new Markup(JSON.stringify(value, null, 2).replace(/[<>&]/g, (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`));
