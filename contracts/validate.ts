import Ajv, { ErrorObject, ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromRoot } from '../libs/common/project-root';
import { ContractName } from './topics';

/** One compiled validator per JSON Schema in contracts/schemas, loaded once. */
let validators: Map<string, ValidateFunction> | undefined;

function load(): Map<string, ValidateFunction> {
  if (validators) return validators;
  const ajv: Ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
  addFormats(ajv);
  const dir = fromRoot('contracts', 'schemas');
  const map = new Map<string, ValidateFunction>();
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.schema.json'))) {
    const schema = JSON.parse(readFileSync(join(dir, f), 'utf8'));
    map.set(f.replace('.schema.json', ''), ajv.compile(schema));
  }
  validators = map;
  return map;
}

export type Validation<T> = { ok: true; value: T } | { ok: false; errors: string[] };

export function formatErrors(errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((e) => {
    const where = e.instancePath || '(root)';
    if (e.keyword === 'additionalProperties')
      return `${where}: unknown property "${e.params.additionalProperty}"`;
    if (e.keyword === 'enum')
      return `${where}: must be one of ${(e.params.allowedValues as unknown[]).join(', ')}`;
    if (e.keyword === 'const') return `${where}: must be ${JSON.stringify(e.params.allowedValue)}`;
    return `${where}: ${e.message}`;
  });
}

/** Validates a parsed value against a named contract (the schema file name without .schema.json). */
export function validateContract<T>(contract: ContractName | string, value: unknown): Validation<T> {
  const v = load().get(contract);
  if (!v) return { ok: false, errors: [`no contract named ${contract}`] };
  if (v(value)) return { ok: true, value: value as T };
  return { ok: false, errors: formatErrors(v.errors) };
}

export function hasContract(contract: string): boolean {
  return load().has(contract);
}
