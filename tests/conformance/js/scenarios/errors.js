'use strict';

const {
  ditto, namespace, WRONG_CREDENTIALS, check, httpClient, socketClient, within, errorOf, nextUncaughtRejection,
} = require('../support');

// Errors surface as Ditto errors through the client.

function isDittoError(error, status, code) {
  const body = error && error.body !== undefined ? error.body : error;
  return Boolean(error && body && body.status === status && body.error === code
    && typeof body.message === 'string' && (error.status === undefined || error.status === status));
}

async function errors() {
  const thingId = `${namespace}:errors`;
  const missingId = `${namespace}:missing`;
  const http = httpClient().getThingsHandle();
  const socket = socketClient('twin').getThingsHandle();
  const created = await http.putThing(new ditto.Thing(thingId, undefined, { a: 1 }));
  const current = await http.putThing(new ditto.Thing(thingId, undefined, { a: 2 }),
    ditto.DefaultMatchOptions.getInstance().ifMatch(created.headers.get('etag')));
  check('HTTP: If-Match with the current ETag of the thing succeeds', current.status === 204, current);

  const missing = await errorOf(http.getThing(missingId), 'HTTP getThing of a missing thing');
  check('HTTP: a missing thing is 404 things:thing.notfound', isDittoError(missing, 404, 'things:thing.notfound')
    && missing instanceof ditto.BasicErrorResponse, missing);
  const missingOverSocket = await errorOf(socket.getThing(missingId), 'socket getThing of a missing thing');
  check('socket: a missing thing is 404 things:thing.notfound',
    isDittoError(missingOverSocket, 404, 'things:thing.notfound'), missingOverSocket);
  const missingAttribute = await errorOf(http.getAttribute(thingId, 'nope'), 'a missing attribute');
  check('HTTP: a missing attribute is 404 things:attribute.notfound',
    isDittoError(missingAttribute, 404, 'things:attribute.notfound'), missingAttribute);
  const missingAttributeOverSocket = await errorOf(socket.getAttribute(thingId, 'nope'), 'socket: missing attribute');
  check('socket: a missing attribute is 404 things:attribute.notfound',
    isDittoError(missingAttributeOverSocket, 404, 'things:attribute.notfound'), missingAttributeOverSocket);

  const conflict = await errorOf(socket.createThing(new ditto.Thing(thingId)), 'socket createThing of an existing thing');
  check('socket: createThing of an existing thing is 409 things:thing.conflict',
    isDittoError(conflict, 409, 'things:thing.conflict'), conflict);

  const stale = ditto.DefaultMatchOptions.getInstance().ifMatch('"rev:99"');
  const precondition = await errorOf(http.putAttribute(thingId, 'a', 2, stale), 'HTTP If-Match mismatch');
  check('HTTP: If-Match with a stale ETag is 412 things:precondition.failed',
    isDittoError(precondition, 412, 'things:precondition.failed'), precondition);
  const preconditionOverSocket = await errorOf(socket.putAttribute(thingId, 'a', 2,
    ditto.DefaultMatchOptions.getInstance().ifMatch('"rev:99"')), 'socket If-Match mismatch');
  check('socket: If-Match (as the client spells it) with a stale ETag is 412 things:precondition.failed',
    isDittoError(preconditionOverSocket, 412, 'things:precondition.failed'), preconditionOverSocket);
  const noneMatch = await errorOf(http.putThing(new ditto.Thing(thingId),
    ditto.DefaultMatchOptions.getInstance().ifNoneMatchAny()), 'If-None-Match: * on an existing thing');
  check('HTTP: If-None-Match * on an existing thing is 412 things:precondition.failed',
    isDittoError(noneMatch, 412, 'things:precondition.failed'), noneMatch);

  const badId = await errorOf(http.putThing(new ditto.Thing('no-namespace-separator')), 'an invalid thing id');
  check('HTTP: an invalid thing id is 400 things:id.invalid', isDittoError(badId, 400, 'things:id.invalid'), badId);
  const badIdOverSocket = await errorOf(socket.createThing(new ditto.Thing('1nvalid.namespace:thing')),
    'socket: an invalid thing id');
  check('socket: an invalid thing id is 400 things:id.invalid',
    isDittoError(badIdOverSocket, 400, 'things:id.invalid'), badIdOverSocket);

  const search = httpClient().getSearchHandle();
  const badFilter = await errorOf(search.search(ditto.DefaultSearchOptions.getInstance().withRawFilter('eq(attributes/a')),
    'an invalid RQL filter');
  check('HTTP: an invalid RQL filter is 400 rql.expression.invalid',
    isDittoError(badFilter, 400, 'rql.expression.invalid'), badFilter);

  if (WRONG_CREDENTIALS !== undefined) {
    const wrong = await errorOf(httpClient(WRONG_CREDENTIALS).getThingsHandle().getThing(thingId),
      'wrong credentials');
    check('HTTP: wrong credentials are 401 gateway:authentication.failed',
      isDittoError(wrong, 401, 'gateway:authentication.failed'), wrong);
    // The client reports a refused WebSocket upgrade only as an unhandled rejection of its own; its requests
    // fail as `connection.lost`.
    const refusal = nextUncaughtRejection();
    const refused = await errorOf(socketClient('twin', { credentials: WRONG_CREDENTIALS, track: false }).getThingsHandle()
      .getThing(thingId), 'a request over a socket with wrong credentials');
    const reason = await within(refusal, 'the refused upgrade');
    check('socket: wrong credentials: the upgrade is refused with 401', refused.error === 'connection.lost'
      && /Unexpected server response: 401/.test(String(reason)), { refused, reason: String(reason) });
  }
  await http.deleteThing(thingId);
}

module.exports = errors;
