// The key citizen and public pages at 360 and 414 px, and staff tables
// still tables on a laptop. See phone.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { base, open, check, hrefs } from './phone.mjs';

test('the key pages fit 360 and 414 px too', async () => {
  for (const width of [360, 414]) {
    const viewport = { width, height: 800 };
    const anon = await open('', viewport);
    for (const [path, shot] of [['/', 'home'], ['/catalog', 'catalog'], ['/hotline/ranking', 'ranking']]) {
      await check(anon.page, path, shot);
    }
    await anon.context.close();
    const cit = await open('zhangsan', viewport);
    await check(cit.page, '/my', 'my');
    await check(cit.page, '/apply/990102-XK-001', 'apply');
    await check(cit.page, '/my/certificates', 'my-certificates');
    await check(cit.page, '/hotline/my', 'hotline-my');
    await cit.context.close();
  }
});

test('staff tables stay tables on a laptop', async () => {
  const { context, page } = await open('handler_scj', { width: 1280, height: 900 });
  await page.goto(base + '/work');
  const head = page.locator('table.cases thead');
  assert.equal(await head.evaluate((el) => getComputedStyle(el).display), 'table-header-group');
  assert.ok(await page.locator('table.cases tbody tr').count() >= 3);
  const row = await page.locator('table.cases tbody tr').first().boundingBox();
  assert.ok(row.height < 120, `a row is one line of a table, ${row.height} px high`);
  await context.close();
});
