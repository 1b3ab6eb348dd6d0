import { BadRequestException } from '@nestjs/common';
import { z } from 'zod';

export interface BodyError {
  /** Dotted path of the field, "(body)" for the whole body. */
  field: string;
  message: string;
}

/** The schema's complaints as field errors, for a 400 answer or a page. */
export function bodyErrors(error: z.ZodError): BodyError[] {
  return error.issues.map((i) => ({ field: i.path.join('.') || '(body)', message: i.message }));
}

/**
 * A request body checked against its schema at the edge: the parsed value (unknown fields dropped)
 * or 400 with field errors. Parsers hand over whatever the client sent (a repeated form field is an
 * array, a JSON body can put an object where text belongs), so no handler reads a raw body.
 */
export function validBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const r = schema.safeParse(body ?? {});
  if (!r.success)
    throw new BadRequestException({ statusCode: 400, message: 'invalid body', errors: bodyErrors(r.error) });
  return r.data;
}

/** An optional text field of a form or JSON body, at most `max` characters. */
export const optionalText = (max: number) =>
  z
    .string({ error: 'must be text' })
    .max(max, { error: `must be at most ${max} characters` })
    .optional();
