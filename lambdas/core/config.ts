import * as z from 'zod/mini';
import './zodMini';

/**
 * Parses the environment once against a schema and fails fast naming every bad
 * variable — a Lambda with a broken configuration should not start at all.
 */
export function parseEnv<S extends z.core.$ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.output<S> {
  const result = z.safeParse(schema, env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.join('.') || 'environment'}: ${issue.message}`);
  throw new Error(`Invalid configuration: ${problems.join('; ')}`);
}

/** An optional whole number of seconds (or bytes) given as a string. */
export const optionalPositiveInt = z.optional(
  z.pipe(z.string().check(z.regex(/^[1-9][0-9]*$/, { error: 'must be a positive whole number' })), z.transform(Number)),
);

export const commaList = z.optional(
  z.pipe(
    z.string(),
    z.transform((value) =>
      value
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean),
    ),
  ),
);
