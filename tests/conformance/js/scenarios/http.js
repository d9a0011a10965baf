'use strict';

const {
  ditto, namespace, check, expectEqual, same, httpClient,
} = require('../support');

// The HTTP client.

async function http() {
  const client = httpClient();
  const things = client.getThingsHandle();
  const thingId = `${namespace}:http-lamp`;
  const otherId = `${namespace}:http-fan`;

  const created = await things.putThing(new ditto.Thing(thingId, undefined, { room: 'kitchen', obsolete: true },
    { lamp: new ditto.Feature('lamp', undefined, { on: false }) }));
  check('putThing of a new thing is 201 with the thing', created.status === 201 && created.wasCreated()
    && created.body.thingId === thingId && same(created.body.attributes, { room: 'kitchen', obsolete: true })
    && created.body.policyId === thingId, created);
  const etag = created.headers.get('etag');
  check('the 201 carries an ETag and a Location', /^"rev:1"$/.test(etag)
    && String(created.headers.get('location')).endsWith(`/api/2/things/${thingId}`), created.headers);

  const replaced = await things.putThing(new ditto.Thing(otherId, undefined, { room: 'hall' }));
  check('putThing of a second thing is 201', replaced.status === 201, replaced);
  const again = await things.putThing(new ditto.Thing(otherId, undefined, { room: 'hall', floor: 1 }));
  check('putThing of an existing thing is 204 (updated)', again.status === 204 && again.wasUpdated(), again);

  const posted = await things.postThing({ attributes: { generated: true } });
  check('postThing creates a thing with a generated id', typeof posted.thingId === 'string'
    && posted.thingId.includes(':') && same(posted.attributes, { generated: true }), posted);
  if (typeof posted.thingId === 'string') {
    const removed = await things.deleteThing(posted.thingId);
    check('deleteThing of the generated thing is 204', removed.status === 204, removed);
  }

  const attribute = await things.putAttribute(thingId, 'room', 'hall');
  check('putAttribute of an existing attribute is 204', attribute.status === 204, attribute);
  const newAttribute = await things.putAttribute(thingId, 'location/floor', 1);
  check('putAttribute of a new nested attribute is 201 with the value', newAttribute.status === 201
    && newAttribute.body === 1, newAttribute);
  expectEqual('getAttribute reads a nested attribute', await things.getAttribute(thingId, 'location/floor'), 1);

  const merged = await things.patchThing(new ditto.Thing(thingId, undefined, { floor: 2, obsolete: null }));
  check('patchThing merges (204)', merged.status === 204, merged);
  const patched = await things.patchAttribute(thingId, 'location', { floor: null, wing: 'east' });
  check('patchAttribute merges (204)', patched.status === 204, patched);
  expectEqual('getAttributes shows both merges (null deletes)', await things.getAttributes(thingId),
    { room: 'hall', floor: 2, location: { wing: 'east' } });

  const features = client.getFeaturesHandle(thingId);
  const property = await features.putProperty('lamp', 'on', true);
  check('features: putProperty is 204', property.status === 204, property);
  const properties = await features.patchProperties('lamp', { brightness: 70 });
  check('features: patchProperties is 204', properties.status === 204, properties);
  const feature = await features.putFeature(new ditto.Feature('fan', undefined, { speed: 3 }));
  check('features: putFeature of a new feature is 201', feature.status === 201, feature);
  expectEqual('features: getProperties', await features.getProperties('lamp'), { on: true, brightness: 70 });
  const deletedFeature = await features.deleteFeature('fan');
  check('features: deleteFeature is 204', deletedFeature.status === 204, deletedFeature);

  const read = await things.getThing(thingId,
    ditto.DefaultFieldsOptions.getInstance().withFields('thingId', 'attributes/room', 'features/lamp/properties/on', '_revision'));
  check('getThing with fields returns only those', read.thingId === thingId
    && same(read.attributes, { room: 'hall' }) && same(read.features.lamp.properties, { on: true })
    && read._revision === 9 && read.policyId === undefined, read);

  const both = await things.getThings([thingId, otherId, `${namespace}:unknown`],
    ditto.DefaultGetThingsOptions.getInstance().withFields('thingId'));
  expectEqual('getThings returns the existing ones, in order', both.map((t) => t.thingId), [thingId, otherId]);

  const search = client.getSearchHandle();
  const found = await search.search(ditto.DefaultSearchOptions.getInstance()
    .withFilter(ditto.Eq('attributes/room', 'hall')).withNamespaces(namespace)
    .withSort('+thingId').withFields('thingId', 'attributes/room'));
  check('search with filter, namespace, sort and fields', same(found.items.map((t) => t.toObject()),
    [{ thingId: otherId, attributes: { room: 'hall' } }, { thingId, attributes: { room: 'hall' } }]), found);

  const firstPage = await search.search(ditto.DefaultSearchOptions.getInstance().withNamespaces(namespace)
    .withSort('-thingId').withPageSize(1));
  check('search pages with size(1): one item and a cursor', firstPage.items.length === 1
    && firstPage.items[0].thingId === thingId && firstPage.cursor !== '', firstPage);
  const secondPage = await search.search(ditto.DefaultSearchOptions.getInstance().withNamespaces(namespace)
    .withSort('-thingId').withPageSize(1).withCursor(firstPage.cursor));
  check('the cursor gives the next page, the last', secondPage.items.length === 1
    && secondPage.items[0].thingId === otherId && secondPage.cursor === '', secondPage);

  const limited = await search.search(ditto.DefaultSearchOptions.getInstance().withNamespaces(namespace)
    .withSort('+thingId').withLimit(0, 1));
  check('search with the deprecated limit(0,1)', limited.items.length === 1 && limited.items[0].thingId === otherId
    && limited.nextPageOffset === 1, limited);

  const posting = await search.postSearch(ditto.DefaultSearchOptions.getInstance()
    .withFilter(ditto.And(ditto.Exists('attributes/location'), ditto.Like('attributes/room', 'ha*')))
    .withNamespaces(namespace));
  expectEqual('postSearch (form) with and/exists/like', posting.items.map((t) => t.thingId), [thingId]);

  expectEqual('count with a filter', await search.count(ditto.DefaultCountOptions.getInstance()
    .withFilter(ditto.Eq('attributes/floor', 2)).withNamespaces(namespace)), 1);
  expectEqual('postCount (form)', await search.postCount(ditto.DefaultCountOptions.getInstance()
    .withFilter(ditto.In('attributes/room', 'hall', 'kitchen')).withNamespaces(namespace)), 2);

  const policies = client.getPoliciesHandle();
  const policy = await policies.getPolicy(thingId);
  const grants = Object.values(policy.toObject().entries).map((entry) => entry.resources['thing:/']);
  check('getPolicy: the default policy grants READ and WRITE on thing:/', policy.id === thingId && grants.some(
    (r) => r && r.grant.includes('READ') && r.grant.includes('WRITE')), policy);
  const guests = ditto.Entry.fromObject({ subjects: { 'nginx:guest': { type: 'basic' } },
    resources: { 'thing:/features': { grant: ['READ'], revoke: [] } } }, 'guests');
  const entry = await policies.putEntry(thingId, guests);
  check('putEntry of a new entry is 201', entry.status === 201, entry);
  expectEqual('getEntry reads it back', (await policies.getEntry(thingId, 'guests')).toObject(), guests.toObject());
  const deletedEntry = await policies.deleteEntry(thingId, 'guests');
  check('deleteEntry is 204', deletedEntry.status === 204, deletedEntry);

  const deletedAttribute = await things.deleteAttribute(thingId, 'floor');
  check('deleteAttribute is 204', deletedAttribute.status === 204, deletedAttribute);
  for (const id of [thingId, otherId]) {
    const deleted = await things.deleteThing(id);
    check(`deleteThing ${id.split(':')[1]} is 204`, deleted.status === 204, deleted);
  }
  expectEqual('count after the deletes', await search.count(ditto.DefaultCountOptions.getInstance()
    .withNamespaces(namespace)), 0);
}

module.exports = http;
