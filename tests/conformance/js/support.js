// Shared by the scenarios: configuration from the environment, one JSON line per check, the clients built
// the way an application builds them, and bounded waits for what arrives on them.
'use strict';

const crypto = require('crypto');
const ditto = require('@eclipse-ditto/ditto-javascript-client-node');

const TIMEOUT_MS = 5000; // for every awaited answer, event or message: nothing here may hang
const env = process.env;
const domain = new URL(env.TWINHUB_URL || 'http://127.0.0.1:8080').host;
const user = env.TWINHUB_USER || 'ditto';
const CREDENTIALS = env.TWINHUB_TOKEN ? { token: env.TWINHUB_TOKEN } : { password: env.TWINHUB_PASSWORD || 'ditto' };
const WRONG_CREDENTIALS = env.TWINHUB_WRONG_TOKEN ? { token: env.TWINHUB_WRONG_TOKEN }
  : env.TWINHUB_WRONG_PASSWORD ? { password: env.TWINHUB_WRONG_PASSWORD } : undefined;
const namespace = env.TWINHUB_NAMESPACE || `org.twinhub.js${crypto.randomBytes(4).toString('hex')}`;

const state = { scenario: '', failures: 0 };
const opened = []; // the WebSocket clients of the running scenario

// -- reporting ----------------------------------------------------------------------------------------

function plain(value) {
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [k, plain(v)]));
  if (value instanceof Error) return value.stack || String(value);
  if (value && typeof value.toObject === 'function') return value.toObject();
  if (value instanceof ditto.BasicErrorResponse || value instanceof ditto.PutResponse) {
    return { status: value.status, body: plain(value.body), headers: plain(value.headers) };
  }
  if (Array.isArray(value)) return value.map(plain);
  return value;
}

function check(name, ok, details) {
  if (!ok) state.failures += 1;
  console.log(JSON.stringify({ scenario: state.scenario, name, ok: Boolean(ok),
    details: details === undefined ? null : plain(details) }));
}

function canonical(value) {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function same(a, b) {
  return canonical(plain(a)) === canonical(plain(b));
}

// A check that `actual` equals `expected` (deeply), with both in the details.
function expectEqual(name, actual, expected) {
  check(name, same(actual, expected), { expected: plain(expected), actual: plain(actual) });
}

// -- clients ------------------------------------------------------------------------------------------

function authProvider(credentials, basic) {
  if (credentials.token !== undefined) {
    return ditto.NodeHttpBearerAuth.newInstance(new ditto.DefaultTokenSupplier(credentials.token));
  }
  return basic.newInstance(user, credentials.password);
}

function httpClient(credentials = CREDENTIALS) {
  return ditto.DittoNodeClient.newHttpClient().withoutTls().withDomain(domain)
    .withAuthProvider(authProvider(credentials, ditto.NodeHttpBasicAuth)).build();
}

// A live-channel messages handle that can also answer a message it received. The client offers no call
// for that (its handles only send requests and receive), so this custom handle, plugged in through the
// client's own `withCustomMessagesHandle`, sends the Ditto Protocol message response (the message's topic
// and path, a status, its correlation-id) over the client's connection.
function answeringMessagesHandle(factory, requestHandler) {
  const handle = ditto.DefaultWebSocketMessagesHandle.getInstance(factory, requestHandler);
  handle.respond = (message, status, value, contentType) => requestHandler.resilienceHandler.send(JSON.stringify({
    topic: message.topic, path: message.path, status, value,
    headers: { 'correlation-id': message.headers['correlation-id'], 'content-type': contentType },
  }));
  return handle;
}

// Answers a live command the same way, and emits live events (the client has no call for either).
function answeringCommandsHandle(factory, requestHandler) {
  const handle = ditto.DefaultCommandsHandle.getInstance(factory, requestHandler);
  handle.respond = (command, status, value) => requestHandler.resilienceHandler.send(JSON.stringify({
    topic: command.topic, path: command.path, status, value,
    headers: { 'correlation-id': command.headers['correlation-id'], 'content-type': 'application/json' },
  }));
  handle.emitEvent = (thingId, action, path, value) => {
    const [ns, ...rest] = thingId.split(':');
    return requestHandler.resilienceHandler.send(JSON.stringify({
      topic: `${ns}/${rest.join(':')}/things/live/events/${action}`, path, value,
      headers: { 'correlation-id': crypto.randomUUID(), 'content-type': 'application/json' },
    }));
  };
  return handle;
}

// A WebSocket client on the `twin` or `live` channel. Buffered (the default) it queues requests until the
// socket is open; without a buffer it refuses them until then: await `client.connected` first.
function socketClient(channel, { buffered = true, credentials = CREDENTIALS, track = true } = {}) {
  let connected;
  const stateHandler = {
    connected: () => connected(), backPressure() {}, bufferFull() {}, buffering() {}, disconnected() {},
    reconnecting() {},
  };
  const connectedPromise = new Promise((resolve) => { connected = resolve; });
  let builder = ditto.DittoNodeClient.newWebSocketClient().withoutTls().withDomain(domain)
    .withAuthProvider(authProvider(credentials, ditto.NodeWebSocketBasicAuth))
    .withReconnect(false).withStateHandler(stateHandler);
  builder = buffered ? builder.withBuffer(100) : builder.withoutBuffer();
  builder = channel === 'live' ? builder.liveChannel() : builder.twinChannel();
  const client = builder.withCustomMessagesHandle(answeringMessagesHandle)
    .withCustomCommandsHandle(answeringCommandsHandle).build();
  client.connected = connectedPromise;
  if (track) opened.push(client); // closed at the end of the scenario
  return client;
}

// -- waiting --------------------------------------------------------------------------------------------

// `promise`, or a rejection naming `what` once `ms` passed (the client's WebSocket requests wait forever).
function within(promise, what, ms = TIMEOUT_MS) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function errorOf(promise, what) {
  try {
    const value = await within(promise, what);
    return { resolved: plain(value) };
  } catch (error) {
    return error === undefined ? { rejectedWith: 'undefined' } : error;
  }
}

// What a subscription callback receives, in order; `next` takes the first item a predicate accepts.
class Inbox {
  constructor() {
    this.items = [];
    this.seen = [];
    this.waiters = [];
    this.push = (item) => {
      this.seen.push(item);
      const waiter = this.waiters.find((w) => w.predicate(item));
      if (waiter) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve(item);
      } else {
        this.items.push(item);
      }
    };
  }

  next(predicate, what, ms = TIMEOUT_MS) {
    const index = this.items.findIndex(predicate);
    if (index >= 0) return Promise.resolve(this.items.splice(index, 1)[0]);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error(`nothing within ${ms} ms: ${what}; received: ${JSON.stringify(this.seen)}`));
      }, ms);
      const waiter = { predicate, resolve: (item) => { clearTimeout(timer); resolve(item); } };
      this.waiters.push(waiter);
    });
  }

  // True when nothing `predicate` accepts arrived within `ms` (only for asserting an absence).
  async nothing(predicate, ms) {
    try {
      await this.next(predicate, 'an absence', ms);
      return false;
    } catch {
      return true;
    }
  }
}

const eventNamed = (action, path) => (event) => event.action === action && event.path === path;

// -- unhandled rejections -------------------------------------------------------------------------------
// The client rejects promises nobody can catch: 'Reconnect disabled' once a socket it was told to close is
// closed, and the error of a refused upgrade. The first are counted off against the sockets closed here; the
// second go to whoever expects one (`nextUncaughtRejection`); anything else is a failed check.

const expectedRejections = [];
let closing = 0;
process.on('unhandledRejection', (reason) => {
  if (reason === 'Reconnect disabled' && closing > 0) {
    closing -= 1;
    return;
  }
  const expected = expectedRejections.shift();
  if (expected !== undefined) {
    expected(reason);
  } else {
    check('no unhandled rejection inside the client', false, reason);
  }
});

function nextUncaughtRejection() {
  return new Promise((resolve) => { expectedRejections.push(resolve); });
}

// -- running ----------------------------------------------------------------------------------------------

// Runs `scenario` (an async function), reports an exception as a failed check, closes its WebSocket clients.
async function runScenario(name, scenario) {
  state.scenario = name;
  try {
    await scenario();
  } catch (error) {
    check('ran to the end', false, error);
  }
  opened.splice(0).forEach((client) => {
    closing += 1;
    client.close();
  });
}

module.exports = {
  ditto, namespace, CREDENTIALS, WRONG_CREDENTIALS, state,
  check, expectEqual, same, plain, httpClient, socketClient, within, errorOf, Inbox, eventNamed,
  nextUncaughtRejection, runScenario,
};
