import type { TestStack } from './testStack';

/** A tiny JSON client for the admin API: `as(key).post(path, body)` -> { status, body }. */
export interface ApiResponse<T = any> {
  status: number;
  body: T;
  text: string;
}

export type Caller = {
  get<T = any>(path: string): Promise<ApiResponse<T>>;
  post<T = any>(path: string, body?: unknown): Promise<ApiResponse<T>>;
  patch<T = any>(path: string, body?: unknown): Promise<ApiResponse<T>>;
  delete<T = any>(path: string): Promise<ApiResponse<T>>;
  /** Raw request: the body string is sent as-is (malformed JSON tests). */
  raw<T = any>(method: string, path: string, body?: string, headers?: Record<string, string>): Promise<ApiResponse<T>>;
};

export function apiAs(stack: TestStack, key: string | null): Caller {
  const raw = async (method: string, path: string, body?: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${stack.api}${path}`, {
      method,
      headers: { ...(key === null ? {} : { authorization: `Bearer ${key}` }), ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      body,
    });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = text;
    }
    return { status: res.status, body: parsed as any, text };
  };
  const json = (method: string) => (path: string, body?: unknown) => raw(method, path, body === undefined ? undefined : JSON.stringify(body));
  return { get: json('GET'), post: json('POST'), patch: json('PATCH'), delete: json('DELETE'), raw };
}

/** Row counts of the tenancy tables: "nothing written" checks compare before and after. */
export async function tenancyRowCounts(stack: TestStack): Promise<Record<string, number>> {
  const db = stack.core.database.db;
  const out: Record<string, number> = {};
  for (const table of ['partners', 'tenants', 'api_keys', 'tenant_routes', 'endpoints', 'signing_secrets', 'events', 'deliveries'] as const) {
    const r = await db.selectFrom(table).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    out[table] = Number(r.n);
  }
  return out;
}
