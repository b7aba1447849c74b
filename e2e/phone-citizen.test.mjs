// Phone width (390×844): the demo citizen's pages. See phone.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { base, open, check, hrefs } from './phone.mjs';

test('a citizen\'s pages fit a phone: my cases, applying, an application, certificates, 12345 requests, lookup, messages', async () => {
  const { context, page } = await open('zhangsan');
  await check(page, '/', 'home-citizen');
  assert.equal(await page.getByRole('link', { name: '我的办件' }).first().getAttribute('href'), '/my');
  await check(page, '/my', 'my');
  // 我的办件 is cards, not a squeezed table: each state is written on one line.
  const state = page.locator('table.cases td[data-label="环节"]').first();
  const box = await state.boundingBox();
  assert.ok(box && box.width > 150, `the state column is ${box?.width} px wide`);
  const [app] = await hrefs(page, /^\/applications\/\d+$/);
  assert.ok(app, 'the citizen has applications');
  await check(page, app, 'application');
  // 办件文书: a document from one of the citizen's applications fits the
  // phone, and so does its public check behind the QR code, which shows
  // the document as genuine without the reasons.
  let doc;
  for (const a of await (async () => { await page.goto(base + '/my'); return hrefs(page, /^\/applications\/\d+$/); })()) {
    await page.goto(base + a);
    [doc] = await hrefs(page, /^\/notices\/\d+$/);
    if (doc) break;
  }
  assert.ok(doc, 'a citizen\'s application has a document');
  await check(page, doc, 'notice');
  const verifyURL = (await page.locator('.doc .sig').innerText()).trim();
  assert.match(verifyURL, /\/notices\/verify\/[\w-]+$/);
  const { context: anon, page: pub } = await open('');
  await check(pub, new URL(verifyURL).pathname, 'notice-verify');
  await pub.getByText('签名有效').waitFor();
  await anon.close();
  await check(page, '/apply', 'apply-list');
  const [start] = await hrefs(page, /^\/apply\/[^/]+$/);
  await check(page, start, 'apply');
  await check(page, '/my/certificates', 'my-certificates');
  const [cert] = await hrefs(page, /^\/certificates\/\d+$/);
  if (cert) await check(page, cert, 'certificate');
  await check(page, '/hotline/my', 'hotline-my');
  // Look a request up from the front door, by number and the phone given:
  // the citizen's own when there is one, else a wrong pair, which must be
  // refused on a page that fits as well.
  const [order] = await hrefs(page, /^\/hotline\/orders\/\d+$/);
  let number = '1234520990101000001';
  if (order) {
    await check(page, order, 'hotline-order');
    number = (await page.locator('h1').innerText()).split(/\s/)[0];
  }
  await page.goto(base + '/');
  await page.getByLabel('工单编号').fill(number);
  await page.getByLabel('反映问题时留的电话').fill('13800000001');
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: '查询' }).click()]);
  if (order) await page.locator('dl.facts').getByText(number).waitFor();
  else {
    await page.getByRole('alert').getByText('工单编号或电话不正确').waitFor();
    page.errors.length = 0; // Chromium logs the refusal's 4xx status, which is meant here.
  }
  await check(page, '', 'lookup-result');
  await check(page, '/messages', 'messages');
  await check(page, '/bundle-applications', 'bundle-apps');
  await context.close();
});
