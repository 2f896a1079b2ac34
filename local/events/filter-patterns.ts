/**
 * Lambda event filtering as the local dispatcher applies it (Lambda Developer Guide, "Lambda event
 * filtering"), for the rules MLHub's patterns use: a field's value must equal one of the listed
 * strings or start with one of the listed `{ prefix }`es, and an object in the pattern is matched
 * field by field against the same field of the event. Every field the pattern names must match.
 */
export function matchesFilterPattern(pattern: unknown, event: unknown): boolean {
  if (Array.isArray(pattern)) {
    return pattern.some((rule: unknown) => {
      if (typeof rule === 'string') return event === rule;
      if (rule && typeof rule === 'object' && 'prefix' in rule) return typeof event === 'string' && event.startsWith(String((rule as { prefix: unknown }).prefix));
      throw new Error(`The local dispatcher does not apply the filter rule ${JSON.stringify(rule)}`);
    });
  }
  if (!pattern || typeof pattern !== 'object') throw new Error(`A filter pattern holds objects and lists of rules, not ${JSON.stringify(pattern)}`);
  if (!event || typeof event !== 'object') return false;
  return Object.entries(pattern).every(([field, inner]) => matchesFilterPattern(inner, (event as Record<string, unknown>)[field]));
}

/** A record passes a mapping's filters when it matches any one of them; with none, every record passes. */
export const passesFilters = (patterns: readonly unknown[], event: unknown): boolean =>
  patterns.length === 0 || patterns.some((pattern) => matchesFilterPattern(pattern, event));
