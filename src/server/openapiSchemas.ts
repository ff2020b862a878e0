import { z } from 'zod';

/**
 * zod → JSON Schema (2020-12, OpenAPI 3.1's dialect) for the document. zod emits named schemas
 * (`.meta({ id })`) as `$defs` with `#/$defs/Name` refs, which inside an OpenAPI document would
 * resolve against the document root and dangle: they are hoisted into `components.schemas` and
 * the refs pointed there. An input-side schema that differs from its output-side namesake
 * (defaults, transforms) is kept apart as `Name_input`.
 */
export function jsonSchema(schema: z.ZodType, io: 'input' | 'output', components: Record<string, unknown>): Record<string, unknown> {
  const out = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as Record<string, unknown>;
  delete out['$schema'];
  return hoistDefs(out, components, io) as Record<string, unknown>;
}

function hoistDefs(node: unknown, components: Record<string, unknown>, io: 'input' | 'output'): unknown {
  if (Array.isArray(node)) return node.map((n) => hoistDefs(n, components, io));
  if (!node || typeof node !== 'object') return node;
  const obj = { ...(node as Record<string, unknown>) };
  const defs = obj['$defs'] as Record<string, unknown> | undefined;
  delete obj['$defs'];
  const rename = new Map<string, string>();
  for (const [name, def] of Object.entries(defs ?? {})) {
    const body = hoistDefs(def, components, io);
    const existing = components[name];
    const target = existing === undefined || JSON.stringify(existing) === JSON.stringify(body) ? name : `${name}_${io}`;
    components[target] = body;
    rename.set(name, target);
  }
  const rewrite = (n: unknown): unknown => {
    if (Array.isArray(n)) return n.map(rewrite);
    if (!n || typeof n !== 'object') return n;
    const o: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(n as Record<string, unknown>)) {
      if (k === '$ref' && typeof v === 'string' && v.startsWith('#/$defs/')) {
        const name = v.slice('#/$defs/'.length);
        o[k] = `#/components/schemas/${rename.get(name) ?? name}`;
      } else o[k] = rewrite(v);
    }
    return o;
  };
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) out[k] = k === '$ref' ? v : hoistDefs(v, components, io);
  return rewrite(out);
}
