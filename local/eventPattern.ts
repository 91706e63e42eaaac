/**
 * EventBridge event-pattern matching, the subset our rules use: exact values,
 * `prefix`, `suffix`, `exists`, `anything-but`, `equals-ignore-case`, nested
 * objects, and array fields (any element may match).
 */

type Pattern = Record<string, unknown>;

function matchesValue(matcher: unknown, value: unknown): boolean {
  if (matcher === null || typeof matcher !== 'object') return matcher === value;
  const rule = matcher as Record<string, unknown>;
  if ('exists' in rule) return (value !== undefined) === rule.exists;
  if (value === undefined) return false;
  if ('prefix' in rule) return typeof value === 'string' && value.startsWith(String(rule.prefix));
  if ('suffix' in rule) return typeof value === 'string' && value.endsWith(String(rule.suffix));
  if ('equals-ignore-case' in rule) {
    return typeof value === 'string' && value.toLowerCase() === String(rule['equals-ignore-case']).toLowerCase();
  }
  if ('anything-but' in rule) {
    const excluded = rule['anything-but'];
    return Array.isArray(excluded)
      ? !excluded.some((item) => matchesValue(item, value))
      : !matchesValue(excluded, value);
  }
  return false;
}

function matchesField(pattern: unknown, value: unknown): boolean {
  if (Array.isArray(pattern)) {
    const values = Array.isArray(value) ? value : [value];
    return pattern.some((matcher) => values.some((item) => matchesValue(matcher, item)));
  }
  if (pattern && typeof pattern === 'object') {
    return matchesEventPattern(pattern as Pattern, (value ?? {}) as Record<string, unknown>);
  }
  return false;
}

export function matchesEventPattern(pattern: Pattern, event: Record<string, unknown>): boolean {
  return Object.entries(pattern).every(([field, fieldPattern]) => matchesField(fieldPattern, event[field]));
}
