// Minimal typings for citation-js (0.8.x ships none): only what functions/citations/ uses.

declare module '@citation-js/core' {
  /** A CSL-JSON item (https://citeproc-js.readthedocs.io/en/latest/csl-json/markup.html). */
  export type CslItem = Record<string, unknown>;
  export class Cite {
    constructor(data: unknown, options?: Record<string, unknown>);
    /** Formats the data: `bibtex`, `biblatex`, `ris`, `cff`, `data` (CSL-JSON), `bibliography`. */
    format(format: string, options?: Record<string, unknown>): string;
    static async(data: unknown, options?: Record<string, unknown>): Promise<Cite>;
    data: CslItem[];
  }
  interface Register<T> {
    add(name: string, value: T): void;
    has(name: string): boolean;
    get(name: string): T;
  }
  export const plugins: {
    output: { format(format: string, data: unknown, options?: Record<string, unknown>): string };
    config: {
      get(plugin: '@csl'): { styles: Register<string>; locales: Register<string> };
      get(plugin: string): Record<string, unknown>;
    };
  };
}

declare module '@citation-js/plugin-csl';
declare module '@citation-js/plugin-bibtex';
declare module '@citation-js/plugin-ris';
declare module '@citation-js/plugin-cff';

declare module '@citation-js/name' {
  /** A personal name split into CSL's parts (family, given, particles), or `{ literal }`. */
  export function parse(name: string): Record<string, string>;
}
