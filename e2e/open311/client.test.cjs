// A third-party Open311 client against the demo: the open311 package from
// npm (Code for America's node-open311) discovers the endpoint, lists the
// services, reads a definition, posts requests, reads them back by token
// and by id and lists them with filters, in JSON and in XML. Its XML
// parsers are stand-ins (see shims/spark.js); a POST without api_key goes
// through the package's own raw _post, as the package refuses to send one.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const Open311 = require('open311');

const base = process.env.YS_BASE_URL;
const apiKey = process.env.YS_OPEN311_KEY;
assert.ok(base && apiKey, 'YS_BASE_URL and YS_OPEN311_KEY must be set');

// call turns the package's callback style into a promise: its callbacks
// take (err, data), err being false, null, true or an HTTP status.
function call(client, method, ...args) {
  return new Promise((resolve, reject) => {
    client[method](...args, (err, data) => {
      if (err) reject(new Error(`${method}: ${err} ${typeof data === 'string' ? data : JSON.stringify(data)}`));
      else resolve(data);
    });
  });
}

async function discovered(format) {
  const client = new Open311({ discovery: `${base}/open311/discovery.${format}`, jurisdiction: 'yunlan' });
  const doc = await call(client, 'serviceDiscovery', { cache: true });
  client.apiKey = apiKey;
  client.format = format; // the package picks JSON whatever the document says
  return { client, doc };
}

for (const format of ['json', 'xml']) {
  test(`Open311 client in ${format}`, async () => {
    const { client, doc } = await discovered(format);
    // The endpoint taken from discovery is absolute: the package requests
    // it as given.
    assert.match(client.endpoint, /^http:\/\/127\.0\.0\.1:\d+\/open311\/v2\/$/);
    assert.ok(Array.isArray(doc.endpoints) && doc.endpoints.length === 1, 'one endpoint');

    const services = await call(client, 'serviceList');
    assert.ok(Array.isArray(services) && services.length > 10, `services: ${services.length}`);
    const road = services.find((s) => s.service_code === '010401');
    assert.equal(road.service_name, '道路破损');

    const def = await call(client, 'serviceDefinition', '010401');
    const attrs = format === 'json' ? def.attributes : def.attributes;
    assert.ok(Array.isArray(attrs) && attrs.some((a) => a.code === 'request_type'), JSON.stringify(def));

    const created = await call(client, 'submitRequest', {
      service_code: '010401', lat: '30.05', long: '120.05', address_string: '临江区江滨路88号',
      description: `路面塌陷一个大坑（${format}），联系我13912345678`, phone: '13912345678',
      first_name: '小明', last_name: '王', attributes: { request_type: 'complaint' },
    });
    assert.ok(Array.isArray(created) && created.length === 1, JSON.stringify(created));
    const { service_request_id: id, token } = created[0];
    assert.match(String(id), /^12345\d{14}$/);

    const byToken = await call(client, 'token', String(token));
    assert.equal(String(byToken[0].service_request_id), String(id));

    const one = await call(client, 'serviceRequest', String(id));
    assert.equal(one.length, 1);
    assert.equal(String(one[0].service_request_id), String(id));
    assert.equal(one[0].status, 'open');
    assert.ok(!String(one[0].description).includes('13912345678'), 'the phone in the description is masked');
    assert.ok(String(one[0].description).includes('139****5678'));
    assert.ok(one[0].requested_datetime instanceof Date && !isNaN(one[0].requested_datetime));

    const open = await call(client, 'serviceRequests', { status: 'open', service_code: '010401' });
    assert.ok(open.some((r) => String(r.service_request_id) === String(id)), 'the new request is listed as open');
    assert.ok(open.every((r) => r.status === 'open' && r.service_code === '010401'));
    const closed = await call(client, 'serviceRequests', { status: 'closed', service_code: '010401' });
    assert.ok(!closed.some((r) => String(r.service_request_id) === String(id)));
    const later = await call(client, 'serviceRequests', { start_date: '2099-01-01T00:00:00+08:00' });
    assert.equal(later.length ?? 0, 0);
    const page = await call(client, 'serviceRequests', { page_size: 2 });
    assert.equal(page.length, 2);
    const byIds = await call(client, 'serviceRequests', [String(id)], {});
    assert.equal(byIds.length, 1);

    // Without api_key, through the package's raw POST: 403, as GeoReport v2
    // says.
    const status = await new Promise((resolve) => client._post('requests', { service_code: '010401', address_string: '江滨路' },
      (err) => resolve(err)));
    assert.equal(status, 403);
  });
}
