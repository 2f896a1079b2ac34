// Minimal typings for js-yaml 4 (installed with ESLint; it ships none), for reading CITATION.cff back.

declare module 'js-yaml' {
  /** YAML 1.2's JSON schema: plain scalars as JSON reads them (dates stay strings). */
  export const JSON_SCHEMA: unknown;
  export function load(text: string, options?: { schema?: unknown }): unknown;
  const yaml: { load: typeof load; JSON_SCHEMA: unknown };
  export default yaml;
}
