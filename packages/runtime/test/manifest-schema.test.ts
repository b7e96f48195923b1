import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { manifestSchema } from '../src/manifest/schema.js';

// plain JS (no declarations): imported through a URL, so it is typed `any`
const SCRIPT = new URL('../scripts/write-schema.mjs', import.meta.url).href;

interface JsonSchemaNode {
  readonly description?: string;
  readonly properties?: Readonly<Record<string, JsonSchemaNode>>;
  readonly items?: JsonSchemaNode | readonly JsonSchemaNode[];
}

/** Paths of the properties without a description. */
function undescribed(node: JsonSchemaNode, path: string): string[] {
  const out: string[] = [];
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    if (!child.description) out.push(`${path}.${key}`);
    out.push(...undescribed(child, `${path}.${key}`));
  }
  if (node.items && !Array.isArray(node.items)) out.push(...undescribed(node.items as JsonSchemaNode, `${path}[]`));
  return out;
}

describe('model.schema.json', () => {
  it('is what scripts/write-schema.mjs makes of the valibot schema (if not: npm run schema -w @flexiffusion/runtime)', async () => {
    const { manifestJsonSchemaText, SCHEMA_FILE } = await import(SCRIPT);
    expect(readFileSync(SCHEMA_FILE, 'utf8')).toBe(manifestJsonSchemaText(manifestSchema));
  }, 30_000);

  it('describes every field (from the interfaces’ TSDoc) and is exported by the package', () => {
    const schema = JSON.parse(readFileSync(new URL('../model.schema.json', import.meta.url), 'utf8')) as JsonSchemaNode;
    expect(schema.description).toMatch(/model manifest/);
    expect(undescribed(schema, 'manifest')).toEqual([]);
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { exports: object; files: string[] };
    expect(pkg.exports).toHaveProperty(['./model.schema.json'], './model.schema.json');
    expect(pkg.files).toContain('model.schema.json');
  });
});
