import express from 'express';
import pg from 'pg';

/**
 * Ingest baseline: the least a webhook receiver can do — a minimal Express handler that stores
 * the same payload with one INSERT into the same Postgres. argv: databaseUrl port poolSize
 */
const [databaseUrl, portArg, poolArg] = process.argv.slice(2);
const pool = new pg.Pool({ connectionString: databaseUrl, max: Number(poolArg ?? 10) });

async function main() {
  await pool.query('create table if not exists bench_baseline (id bigserial primary key, received_at timestamptz not null default now(), payload jsonb not null)');
  const app = express();
  app.post('/v1/webhooks/:partner', express.raw({ type: () => true, limit: '1mb' }), async (req, res) => {
    await pool.query('insert into bench_baseline (payload) values ($1::jsonb)', [(req.body as Buffer).toString('utf8')]);
    res.status(202).json({ ok: true });
  });
  app.listen(Number(portArg), '127.0.0.1', () => process.stdout.write('ready\n'));
}
main().catch((err: unknown) => {
  process.stderr.write(String(err) + '\n');
  process.exit(1);
});
