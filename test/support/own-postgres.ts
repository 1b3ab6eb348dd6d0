import { execFile } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './services';

const run = promisify(execFile);
const BIN = process.env.PG_BIN_DIR ?? '/usr/lib/postgresql/15/bin';

/**
 * A PostgreSQL server of a test's own (initdb + pg_ctl in a temp folder, on a free loopback port),
 * for tests that stop, crash or restart the database; the machine's shared server is never touched.
 * PostgreSQL refuses to run as root, so under root the server runs as the `postgres` user.
 */
export class OwnPostgres {
  readonly dir: string;
  port = 0;

  /** `settings`: more server settings (`name=value`, e.g. shared_preload_libraries=pg_stat_statements). */
  constructor(
    label = 'pg',
    private readonly settings: string[] = [],
  ) {
    this.dir = mkdtempSync(join(tmpdir(), `own-${label}-`));
  }

  /** postgres://… of database `test` (created at init). */
  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/test`;
  }

  private async pg(cmd: string, ...args: string[]): Promise<string> {
    const full = [join(BIN, cmd), ...args];
    const asRoot = process.getuid?.() === 0;
    const { stdout } = await run(
      asRoot ? 'runuser' : full[0],
      asRoot ? ['-u', 'postgres', '--', ...full] : full.slice(1),
      {
        timeout: 120_000,
      },
    );
    return stdout;
  }

  private ctl(action: string, ...extra: string[]) {
    return this.pg(
      'pg_ctl',
      '-D',
      join(this.dir, 'data'),
      '-l',
      join(this.dir, 'server.log'),
      '-w',
      '-t',
      '60',
      // No Unix socket (the temp folder may be unreachable for the postgres user's path rules);
      // durability is not what these tests are about, so fsync is off.
      '-o',
      [
        `-p ${this.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c fsync=off`,
        ...this.settings.map((s) => `-c ${s}`),
      ].join(' '),
      ...extra,
      action,
    );
  }

  async init(): Promise<this> {
    this.port = await freePort();
    if (process.getuid?.() === 0) chownSync(this.dir, ...(await postgresIds()));
    await this.pg('initdb', '-D', join(this.dir, 'data'), '-U', 'postgres', '--auth=trust', '--no-sync');
    await this.start();
    await this.pg(
      'psql',
      '-h',
      '127.0.0.1',
      '-p',
      String(this.port),
      '-U',
      'postgres',
      '-c',
      'CREATE DATABASE test',
      'postgres',
    );
    return this;
  }

  start(): Promise<string> {
    return this.ctl('start');
  }

  /** Stops the server; `immediate` is a crash: no checkpoint, clients cut off, recovery at the next start. */
  stop(mode: 'fast' | 'immediate' = 'immediate'): Promise<string> {
    return this.ctl('stop', '-m', mode);
  }

  restart(mode: 'fast' | 'immediate' = 'immediate'): Promise<string> {
    return this.ctl('restart', '-m', mode);
  }

  async destroy(): Promise<void> {
    await this.stop('immediate').catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

async function postgresIds(): Promise<[number, number]> {
  const uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim());
  const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
  return [uid, gid];
}
