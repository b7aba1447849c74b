// Phone width (390×844): a citizen without an account files a 12345
// request on the public form — category found by typing, district and
// address, a pin on the map, a photo — gets the acknowledgement with the
// number and the tracking link, and follows the request by that link in a
// fresh browser, where the status, the photo and the history show and
// information can be added. See phone.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { base, open, check } from './phone.mjs';

test('a citizen files a request with a photo and a pin on a phone and follows it by the tracking link', async () => {
  const { context, page } = await open('');
  await check(page, '/hotline/submit', 'hotline-submit');
  assert.ok(await page.locator('#map .leaflet-tile').count() > 0, 'the map shows its tiles');

  // The category: typed, then chosen from what is left.
  await page.locator('#cat-filter').fill('占道');
  const options = await page.locator('#category_code option').evaluateAll((os) => os.map((o) => o.value).filter(Boolean));
  assert.ok(options.length >= 1 && options.includes('010101'), `filtered categories ${options}`);
  await page.selectOption('#category_code', '010101');
  await page.locator('#content').fill('江滨路人行道被流动摊贩占用，早晚行人只能走机动车道，请尽快处理。');
  await page.selectOption('#region_code', '990102');
  await page.locator('#address').fill('临江区江滨路66号');

  // The pin: a tap on the map fills the position.
  await page.locator('#map').tap({ position: { x: 200, y: 140 } });
  await page.waitForFunction(() => document.getElementById('lat').value !== '');
  assert.ok(await page.locator('#map .leaflet-marker-icon').count() === 1, 'the pin is on the map');

  // The photo, drawn by the browser as a phone camera would hand it over.
  const png = await page.evaluate(async () => {
    const c = document.createElement('canvas');
    c.width = 64; c.height = 48;
    const g = c.getContext('2d');
    g.fillStyle = '#b43c28'; g.fillRect(0, 0, 64, 48);
    g.fillStyle = '#fff'; g.fillRect(8, 8, 24, 16);
    const blob = await new Promise((r) => c.toBlob(r, 'image/png'));
    return Array.from(new Uint8Array(await blob.arrayBuffer()));
  });
  await page.setInputFiles('#photos', { name: '现场.png', mimeType: 'image/png', buffer: Buffer.from(png) });
  await page.locator('#caller_phone').fill('13900001234');
  await check(page, '', 'hotline-submit-filled');
  await Promise.all([page.waitForURL(/\/hotline\/track\/[0-9a-f]{40}\?ok=submitted$/), page.getByRole('button', { name: '提交诉求' }).click()]);

  // The acknowledgement: the number and the link to keep.
  await check(page, '', 'hotline-submit-received');
  const number = (await page.locator('#order-number').innerText()).trim();
  assert.match(number, /^12345\d{14}$/);
  const link = (await page.locator('#track-link').innerText()).trim();
  assert.match(link, /\/hotline\/track\/[0-9a-f]{40}$/);
  await context.close();

  // Following it later, in another browser, by the link alone.
  const later = await open('');
  await check(later.page, new URL(link).pathname, 'hotline-track');
  const text = await later.page.locator('main').innerText();
  assert.ok(text.includes(number), 'the tracking page names the request');
  assert.ok(text.includes('已受理，待派单'), 'the tracking page shows the status');
  assert.ok(text.includes('已在地图标注'), 'the pin was kept');
  assert.ok(!text.includes('13900001234') && text.includes('139****1234'), 'the phone shows masked');
  const img = later.page.locator('ul.photos img').first();
  await img.scrollIntoViewIfNeeded();
  await later.page.waitForFunction(() => { const i = document.querySelector('ul.photos img'); return i && i.complete && i.naturalWidth === 64; });

  // Adding information while it is open, recorded in the history.
  await later.page.locator('#info').fill('摊贩一般在下午五点以后出摊。');
  await Promise.all([later.page.waitForURL(/\?ok=info$/), later.page.getByRole('button', { name: '补充信息' }).click()]);
  const history = await later.page.locator('ol.track-history').innerText();
  assert.ok(history.includes('您补充了信息：摊贩一般在下午五点以后出摊。'), history);
  await check(later.page, '', 'hotline-track-info');
  await later.context.close();
});
