import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { CrashBackoff } from '../src/backoff';

const opts = { initialMs: 1000, maxMs: 8000, maxCrashes: 5, stableMs: 60000 };

test('restarts after a doubling delay, capped, then gives up after maxCrashes in a row', () => {
  const b = new CrashBackoff(opts);
  const delays: unknown[] = [];
  let now = 0;
  for (let i = 0; i < 6; i++) {
    b.started(now);
    now += 500; // dies half a second after starting
    delays.push(b.crashed(now));
    now += 10;
  }
  assert.deepEqual(delays, [
    { restartInMs: 1000, crashes: 1 },
    { restartInMs: 2000, crashes: 2 },
    { restartInMs: 4000, crashes: 3 },
    { restartInMs: 8000, crashes: 4 },
    { restartInMs: 8000, crashes: 5 },
    { giveUp: true, crashes: 5 },
  ]);
});

test('a server that ran for stableMs starts a fresh budget', () => {
  const b = new CrashBackoff(opts);
  b.started(0);
  b.crashed(100);
  b.started(1200);
  b.crashed(1300);
  b.started(5000);
  assert.deepEqual(b.crashed(5000 + 60000), { restartInMs: 1000, crashes: 1 });
});

test('a crash before the server ever started still counts', () => {
  const b = new CrashBackoff(opts);
  assert.deepEqual(b.crashed(0), { restartInMs: 1000, crashes: 1 });
  assert.deepEqual(b.crashed(10), { restartInMs: 2000, crashes: 2 });
});

test('reset (a manual restart) clears the count', () => {
  const b = new CrashBackoff(opts);
  for (let i = 0; i < 5; i++) b.crashed(i);
  b.reset();
  assert.deepEqual(b.crashed(10), { restartInMs: 1000, crashes: 1 });
});
