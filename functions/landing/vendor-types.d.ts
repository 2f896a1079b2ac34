// Minimal typings for negotiator 0.6 (it ships none): only what functions/landing/ uses.

declare module 'negotiator' {
  export default class Negotiator {
    constructor(request: { headers: Record<string, string | undefined> });
    /** The most preferred of `available` (RFC 9110 §12.5.1 weights), or undefined when none is acceptable. */
    mediaType(available: readonly string[]): string | undefined;
    mediaTypes(available?: readonly string[]): string[];
  }
}
