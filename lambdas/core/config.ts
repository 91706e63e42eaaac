import * as z from 'zod';

/**
 * Parses the environment once against a schema and fails fast naming every bad
 * variable — a Lambda with a broken configuration should not start at all.
 */
export function parseEnv<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.output<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.join('.') || 'environment'}: ${issue.message}`);
  throw new Error(`Invalid configuration: ${problems.join('; ')}`);
}

/** An optional whole number of seconds (or bytes) given as a string. */
export const optionalPositiveInt = z
  .string()
  .regex(/^[1-9][0-9]*$/, { error: 'must be a positive whole number' })
  .transform(Number)
  .optional();

export const commaList = z
  .string()
  .transform((value) =>
    value
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean),
  )
  .optional();

export const jobsTableEnv = z.object({ JOBS_TABLE_NAME: z.string().min(1) });
export const bucketEnv = z.object({ BUCKET_NAME: z.string().min(1) });

export const pollEnv = z.object({
  FRAMEBRIDGE_POLL_FIRST_S: optionalPositiveInt,
  FRAMEBRIDGE_POLL_INTERVAL_S: optionalPositiveInt,
  /** Seconds after submit when polling gives up (default 50 min, below the upstream's 1 h expiry). */
  FRAMEBRIDGE_POLL_DEADLINE_S: optionalPositiveInt,
});

/** Segmind's base URL and where its key comes from: a secret in AWS, the environment locally. */
export const segmindEnv = z
  .object({
    SEGMIND_BASE_URL: z
      .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
      .default('https://api.segmind.com'),
    SEGMIND_API_KEY: z.string().min(1).optional(),
    SEGMIND_API_KEY_SECRET_ARN: z.string().min(1).optional(),
  })
  .refine((env) => env.SEGMIND_API_KEY || env.SEGMIND_API_KEY_SECRET_ARN, {
    error: 'set SEGMIND_API_KEY_SECRET_ARN (AWS) or SEGMIND_API_KEY (local)',
    path: ['SEGMIND_API_KEY_SECRET_ARN'],
  });

/** The local development switch for private and plain-http webhook receivers; never set in AWS. */
export const privateCallbacksEnv = z.object({
  FRAMEBRIDGE_ALLOW_PRIVATE_CALLBACKS: z
    .enum(['0', '1', ''])
    .optional()
    .transform((value) => value === '1'),
});

/** Seconds a presigned video URL stays valid when minted for a client. */
export const resultUrlEnv = z.object({
  FRAMEBRIDGE_RESULT_URL_TTL_S: optionalPositiveInt.transform((value) => value ?? 3600),
});
