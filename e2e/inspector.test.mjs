// The inspector's path on a phone (390×844), issue 9's "done when": an
// inspector opens a visit the demo's published 双随机 draw created,
// records results, a photo and the party's drawn signature, loses the
// network for two more results (they wait in the page's outbox and go,
// once, when it returns), and completes; the department head publishes;
// the result is on the business's public 监管宝 page, reached from the
// address its QR label holds. Every phone page is checked for overflow.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { base, open, check, hrefs } from './phone.mjs';

// A 4×4 JPEG with an (empty) EXIF block (the server strips it before hashing).
const jpeg = Buffer.from(
  'ffd8ffe1001845786966000049492a00080000000000000000000000ffdb008400100b0c0e0c0a100e0d0e1211101318281a181616183123251d283a' +
  '333d3c3933383740485c4e404457453738506d51575f626768673e4d71797064785c656763011112121815182f1a1a2f634238426363636363636363' +
  '636363636363636363636363636363636363636363636363636363636363636363636363636363636363ffc000110800040004030122000211010311' +
  '01ffc401a20000010501010101010100000000000000000102030405060708090a0b100002010303020403050504040000017d010203000411051221' +
  '31410613516107227114328191a1082342b1c11552d1f02433627282090a161718191a25262728292a3435363738393a434445464748494a53545556' +
  '5758595a636465666768696a737475767778797a838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6' +
  'c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9fa010003010101010101010101000000000000010203040506070809' +
  '0a0b1100020102040403040705040400010277000102031104052131061241510761711322328108144291a1b1c109233352f0156272d10a162434e1' +
  '25f11718191a262728292a35363738393a434445464748494a535455565758595a636465666768696a737475767778797a82838485868788898a9293' +
  '9495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae2e3e4e5e6e7e8e9eaf2f3f4f5f6f7f8f9' +
  'faffda000c03010002110311003f00e8d5428c0cf527939a5a28a00fffd9',
  'hex');

// save submits a form of the visit page and waits for the page to reload,
// which the outbox does once everything queued has been sent.
async function save(page, form) {
  await Promise.all([page.waitForNavigation({ timeout: 30000 }), form.locator('button[type=submit]').click()]);
}

// The tests run in order and pass on what the previous one did; each has
// its own time budget.
let path, uscc, link;

test('an inspector records a visit on a phone, offline in part, and completes it', async () => {
  const { context, page } = await open('inspector_scj');
  await check(page, '/visits', 'inspector-visits');
  const visits = await hrefs(page, /^\/visits\/\d+$/);
  assert.ok(visits.length > 0, 'the demo draw gave the inspector open visits');
  // The draw's joint visit (other visits, such as one a monitoring alert
  // asked for, have a single item).
  const forms = page.locator('form[action$="/results"]');
  let n = 0;
  for (const v of visits) {
    await page.goto(base + v);
    n = await forms.count();
    if (n >= 3) { path = v; break; }
  }
  assert.ok(path, `a joint visit with several items among ${visits.length} visits`);
  const id = path.split('/').pop();
  await check(page, path, 'inspector-visit');
  assert.ok(await page.getByText('临江区城市管理局').count() > 0, "the other department's item is shown");

  // Online: the first item's result, a photo and the signature.
  let form = forms.nth(0);
  await form.locator('select').selectOption('corrected');
  await form.locator('textarea').fill('进货查验记录不全，已当场责令改正');
  await save(page, form);
  assert.ok(await page.getByText('已保存：发现问题已责令改正').count() === 1, 'the first result is saved');

  const photo = page.locator('form[action$="/evidence"]').filter({ has: page.locator('#photo') });
  await page.locator('#photo').setInputFiles({ name: 'scene.jpg', mimeType: 'image/jpeg', buffer: jpeg });
  await save(page, photo);
  assert.equal(await page.locator('code.hash').count(), 1, 'the photo is stored and its hash shown');

  const pad = page.locator('#signature');
  await pad.scrollIntoViewIfNeeded();
  const box = await pad.boundingBox();
  await page.mouse.move(box.x + 20, box.y + box.height / 2);
  await page.mouse.down();
  for (let i = 1; i <= 10; i++) await page.mouse.move(box.x + 20 + i * 25, box.y + box.height / 2 + (i % 2 ? 20 : -20));
  await page.mouse.up();
  await save(page, page.locator('form[data-signature]'));
  assert.equal(await page.locator('code.hash').count(), 2, 'the signature is stored as evidence');
  assert.ok(await page.getByText('当事人签名（').count() === 1);

  // Offline: the other results wait in the outbox, and the page says so.
  await context.setOffline(true);
  for (let i = 1; i < n; i++) {
    form = forms.nth(i);
    await form.locator('select').selectOption('ok');
    await form.locator('button[type=submit]').click();
    await page.locator('#outbox', { hasText: `有${i}项待发送` }).waitFor({ timeout: 10000 });
  }
  assert.ok(await page.locator('#outbox', { hasText: '当前无网络' }).count() === 1, 'the page says it is offline');
  await page.screenshot({ path: (process.env.YS_SHOTS || '/tmp') + '/phone-inspector-offline-390.png', fullPage: true });
  // Back online: the queue goes by itself and the page shows the server's state.
  await Promise.all([page.waitForNavigation({ timeout: 30000 }), context.setOffline(false)]);
  page.errors.length = 0; // the failed sends while offline
  const api = await (await page.request.get(base + '/api/v1/visits/' + id)).json();
  assert.deepEqual(api.items.map((it) => it.result), ['corrected', ...Array(n - 1).fill('ok')], 'every result arrived');
  assert.equal(api.evidence.filter((e) => e.kind === 'photo').length, 1, 'one photo, not two');
  assert.equal(api.evidence.filter((e) => e.kind === 'signature').length, 1, 'one signature');

  // Completion; sending the same submission again changes nothing.
  const done = page.locator('form[action$="/completion"]');
  const key = await done.locator('[name=idempotency_key]').inputValue();
  await save(page, done);
  assert.ok(await page.getByText('已完成待公示').count() > 0, 'the visit is completed');
  const again = await page.request.post(base + path + '/completion', {
    form: { idempotency_key: key }, headers: { 'X-Outbox': '1', Origin: base },
  });
  assert.equal(again.status(), 200);
  assert.equal((await again.json()).replayed, true, 'a resend is a replay');
  uscc = api.uscc;
  await context.close();
});

test('the head of the lead department publishes; the QR label leads to the public page', async () => {
  assert.ok(path && uscc, 'the inspector completed a visit');

  // The head of the lead department sees the deadline and publishes.
  const head = await open('approver_scj');
  await head.page.goto(base + path);
  assert.ok(await head.page.getByText('公示期限：').count() === 1, 'the publication deadline is shown');
  await Promise.all([head.page.waitForNavigation(), head.page.getByRole('button', { name: '公示结果' }).click()]);
  assert.ok(await head.page.getByText('检查结果已公示。').count() === 1);
  await check(head.page, `/jgb/${uscc}/label`, 'jgb-label');
  assert.equal(await head.page.locator('.jgb-qr svg').count(), 1, 'the label has its QR code');
  link = (await head.page.locator('code.url').innerText()).trim();
  assert.ok(link.endsWith('/jgb/' + uscc), 'the QR code leads to the public page: ' + link);
  await head.context.close();
});

test('the public scanning the label sees the result and can report to 12345', async () => {
  assert.ok(link, 'the label was printed');

  // The public, scanning the label.
  const pub = await open('');
  await check(pub.page, new URL(link).pathname, 'jgb-public');
  assert.ok(await pub.page.getByText('发现问题已责令改正').count() > 0, 'the published result is public');
  assert.equal(await pub.page.getByText('进货查验记录不全').count(), 0, "the inspector's notes are not");
  const report = pub.page.getByRole('link', { name: '向12345反映问题' });
  const href = await report.getAttribute('href');
  await check(pub.page, href, 'jgb-report');
  assert.ok((await pub.page.locator('#content').inputValue()).includes(uscc), 'the 12345 form names the business');
  await pub.context.close();
});
