'use strict';

const {
  ditto, namespace, check, same, httpClient, socketClient, within, errorOf, Inbox,
} = require('../support');

// Messages sent over HTTP and WebSocket and answered by a live-channel client.

async function messages() {
  const thingId = `${namespace}:messaging`;
  const name = 'messaging';
  await httpClient().getThingsHandle().putThing(new ditto.Thing(thingId, undefined, undefined,
    { alarm: new ditto.Feature('alarm') }));

  // The device: receives what is sent to the thing and to its feature, and answers.
  const device = socketClient('live');
  const inbox = device.getMessagesHandle();
  await within(inbox.requestMessages(), 'START-SEND-MESSAGES:ACK');
  check('requestMessages is acknowledged', true);
  const asked = new Inbox();
  inbox.subscribeToThing(thingId, (message) => {
    asked.push(message);
    if (message.path === '/inbox/messages/ask') {
      const question = typeof message.value === 'string' ? message.value : JSON.stringify(message.value);
      inbox.respond(message, 200, `pong: ${question}`, 'text/plain');
    } else if (message.path === '/inbox/messages/json') {
      inbox.respond(message, 201, { echo: message.value }, 'application/json');
    } else if (message.path === '/inbox/messages/refuse') {
      inbox.respond(message, 403, { reason: 'no' }, 'application/json');
    } else if (message.path === '/inbox/messages/claim') {
      inbox.respond(message, 200, { granted: message.value }, 'application/json');
    }
  }, undefined, 'inbox');
  const featureAsked = new Inbox();
  inbox.subscribeToFeature(thingId, 'alarm', (message) => {
    featureAsked.push(message);
    inbox.respond(message, 200, { acknowledged: message.value }, 'application/json');
  }, 'ring', 'inbox');

  // An application listening to what the thing sends (its outbox).
  const listener = socketClient('live');
  const listening = listener.getMessagesHandle();
  await within(listening.requestMessages(), 'START-SEND-MESSAGES:ACK of the listener');
  const outbox = new Inbox();
  listening.subscribeToThing(thingId, outbox.push, 'status', 'outbox');

  const httpMessages = httpClient().getMessagesHandle();
  // (The HTTP client JSON-encodes every payload whatever its content type, so a string travels as "...".)
  const overHttp = await within(httpMessages.messageToThing(thingId, 'ask', { from: 'http' }, 'application/json'),
    'messageToThing over HTTP');
  check('HTTP messageToThing gets the answer: status, body, content type', overHttp.status === 200
    && overHttp.body === 'pong: {"from":"http"}' && /^text\/plain/.test(overHttp.headers.get('content-type')),
  overHttp);
  const received = await asked.next((m) => m.path === '/inbox/messages/ask', 'the message at the device');
  check('the device received it as a live message', received.topic === `${namespace}/${name}/things/live/messages/ask`
    && received.action === 'ask' && same(received.value, { from: 'http' })
    && /^application\/json/.test(received.headers['content-type']), received);

  const jsonOverHttp = await within(httpMessages.messageToThing(thingId, 'json', [1, 2], 'application/json'),
    'a JSON message over HTTP');
  check('HTTP: a JSON answer with status 201 comes back as JSON', jsonOverHttp.status === 201
    && same(jsonOverHttp.body, { echo: [1, 2] }) && /^application\/json/.test(jsonOverHttp.headers.get('content-type')),
  jsonOverHttp);

  const refused = await errorOf(httpMessages.messageToThing(thingId, 'refuse', {}, 'application/json'), 'refuse');
  check('HTTP: an answer with status 403 reaches the client as its error', refused.status === 403
    && same(refused.body, { reason: 'no' }), refused);

  const toFeature = await within(httpMessages.messageToFeature(thingId, 'alarm', 'ring', { volume: 3 },
    'application/json'), 'messageToFeature over HTTP');
  check('HTTP messageToFeature is answered by the feature subscription', toFeature.status === 200
    && same(toFeature.body, { acknowledged: { volume: 3 } }), toFeature);
  const featureMessage = await featureAsked.next(() => true, 'the feature message');
  check('the feature message has the feature path', featureMessage.path === '/features/alarm/inbox/messages/ring',
    featureMessage);

  const fireAndForget = await within(httpMessages.messageToThing(thingId, 'note', { n: 1 }, 'application/json',
    ditto.DefaultMessagesOptions.getInstance().withTimeout(0)), 'a message with timeout 0');
  check('HTTP messageToThing with timeout 0 is 202 at once', fireAndForget.status === 202, fireAndForget);
  const note = await asked.next((m) => m.path === '/inbox/messages/note', 'the fire-and-forget message');
  check('the device still receives it', same(note.value, { n: 1 }), note);

  const fromThing = await within(httpMessages.messageFromThing(thingId, 'status', { battery: 80 }, 'application/json',
    ditto.DefaultMessagesOptions.getInstance().withTimeout(0)), 'messageFromThing over HTTP');
  check('HTTP messageFromThing with timeout 0 is 202', fromThing.status === 202, fromThing);
  const status = await outbox.next(() => true, 'the outbox message at the listener');
  check('the listener receives the outbox message', status.path === '/outbox/messages/status'
    && same(status.value, { battery: 80 }), status);

  const claimed = await within(httpMessages.claim(thingId, { secret: 's3' }), 'claim over HTTP');
  check('HTTP claim is answered by the device', claimed.status === 200 && same(claimed.body, { granted: { secret: 's3' } }),
    claimed);
  const claim = await asked.next((m) => m.path === '/inbox/messages/claim', 'the claim message at the device');
  check('the device received the claim message', claim.topic === `${namespace}/${name}/things/live/messages/claim`,
    claim);

  // The same over the WebSocket, from an application that only sends.
  const sender = socketClient('live').getMessagesHandle();
  const overSocket = await within(sender.messageToThing(thingId, 'ask', 'from socket', 'text/plain'),
    'messageToThing over the socket');
  check('socket messageToThing gets the answer: status, body, content type', overSocket.status === 200
    && overSocket.body === 'pong: from socket' && /^text\/plain/.test(overSocket.headers.get('content-type')),
  overSocket);
  const textMessage = await asked.next((m) => m.path === '/inbox/messages/ask', 'the socket message at the device');
  check('the device received the text as a string', textMessage.value === 'from socket'
    && /^text\/plain/.test(textMessage.headers['content-type']), textMessage);

  const jsonOverSocket = await within(sender.messageToThing(thingId, 'json', { a: 1 }, 'application/json'),
    'a JSON message over the socket');
  check('socket: a JSON answer with status 201', jsonOverSocket.status === 201
    && same(jsonOverSocket.body, { echo: { a: 1 } }), jsonOverSocket);
  const refusedOverSocket = await within(sender.messageToThing(thingId, 'refuse', {}, 'application/json'),
    'a refused message over the socket');
  check('socket: an answer with status 403 reaches the sender', refusedOverSocket.status === 403
    && same(refusedOverSocket.body, { reason: 'no' }), refusedOverSocket);

  const featureOverSocket = await within(sender.messageToFeature(thingId, 'alarm', 'ring', { volume: 9 },
    'application/json'), 'messageToFeature over the socket');
  check('socket messageToFeature is answered', featureOverSocket.status === 200
    && same(featureOverSocket.body, { acknowledged: { volume: 9 } }), featureOverSocket);

  const claimedOverSocket = await within(sender.claim(thingId, 'secret over the socket'), 'claim over the socket');
  check('socket claim is answered by the device', claimedOverSocket.status === 200
    && same(claimedOverSocket.body, { granted: 'secret over the socket' }), claimedOverSocket);

  await within(sender.messageToThingWithoutResponse(thingId, 'note', 'no answer wanted', 'text/plain'),
    'messageToThingWithoutResponse');
  const noteOverSocket = await asked.next((m) => m.path === '/inbox/messages/note', 'the message sent without response');
  check('socket messageToThingWithoutResponse reaches the device', noteOverSocket.value === 'no answer wanted',
    noteOverSocket);

  await within(inbox.messageFromThingWithoutResponse(thingId, 'status', 'all good', 'text/plain'),
    'messageFromThingWithoutResponse');
  const statusOverSocket = await outbox.next(() => true, 'the outbox message sent over the socket');
  check('socket messageFromThingWithoutResponse (the device) reaches the listener', statusOverSocket.value === 'all good'
    && statusOverSocket.path === '/outbox/messages/status', statusOverSocket);

  await within(inbox.stopMessages(), 'STOP-SEND-MESSAGES:ACK');
  const unanswered = await errorOf(httpMessages.messageToThing(thingId, 'ask', 'anyone?', 'application/json',
    ditto.DefaultMessagesOptions.getInstance().withTimeout(1)), 'a message nobody receives');
  check('after stopMessages nobody answers: 408', unanswered.status === 408 && unanswered.body.status === 408
    && typeof unanswered.body.error === 'string', unanswered);
  const unansweredOverSocket = await within(sender.messageToThing(thingId, 'ask', 'anyone?', 'text/plain',
    ditto.DefaultMessagesOptions.getInstance().addHeader('timeout', '1')), 'a socket message nobody receives');
  check('socket: nobody answers: 408 with a Ditto error', unansweredOverSocket.status === 408
    && unansweredOverSocket.body.status === 408 && typeof unansweredOverSocket.body.error === 'string',
  unansweredOverSocket);
  await httpClient().getThingsHandle().deleteThing(thingId);
}

module.exports = messages;
