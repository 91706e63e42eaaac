/*
 * Every schema module under lambdas/ imports this one. The Lambdas use zod's
 * functional API (`zod/mini`): classic zod cost each bundle ~90 kB and each
 * cold start ~22 ms (bench/lambdaFloor.ts). zod/mini loads no locale, and the
 * messages clients see are classic zod's English ones, so English is set here.
 */
import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';

z.config(en());

/** `schema` with `metadata` for the OpenAPI document: a registered copy, as classic zod's `.meta()` makes. */
export function withMeta<T extends z.ZodMiniType>(schema: T, metadata: z.core.GlobalMeta): T {
  const described = schema.clone();
  z.globalRegistry.add(described, metadata);
  return described;
}
