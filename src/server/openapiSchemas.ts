import { z } from 'zod';

/**
 * zod → JSON Schema (2020-12, OpenAPI 3.1's dialect) for the document. zod emits named schemas
 * (`.meta({ id })`) as `$defs` with `#/$defs/Name` refs, which inside an OpenAPI document would
 * resolve against the document root and dangle: they are hoisted into `components.schemas` and
 * the refs pointed there. An input-side schema that differs from its output-side namesake
 * (defaults, transforms) is kept apart as `Name_input`.
 */
export function jsonSchema(schema: z.ZodType, io: 'input' | 'output', components: Record<string, unknown>): Record<string, unknown> {
  const out = toJsonSchema(schema, io);
  return hoistDefs(out, components, io) as Record<string, unknown>;
}

function toJsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const out = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io,
    unrepresentable: 'any',
    override: ({ zodSchema, jsonSchema: node }) => {
      const element = checkedOneByOneElements.get(zodSchema);
      // Nested $defs it brings are hoisted with the rest.
      if (element) Object.assign(node, toJsonSchema(element, io));
    },
  }) as Record<string, unknown>;
  delete out['$schema'];
  return out;
}

/** Placeholder → the element schema the document shows in its place. */
const checkedOneByOneElements = new WeakMap<object, z.ZodType>();

/**
 * An array element the handler validates itself, one by one, so one bad element is reported and
 * the others still count (a partial success, never all-or-nothing). The envelope lets any value
 * through; the document shows `element`, the schema the handler applies to each one.
 */
export function checkedOneByOne(element: z.ZodType): z.ZodUnknown {
  const placeholder = z.unknown();
  checkedOneByOneElements.set(placeholder, element);
  return placeholder;
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
