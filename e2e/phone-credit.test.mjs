// Phone width (390×844): the credit pages of the demo enterprise (my credit,
// who checked me, the repair form, an application, the printable report)
// and of the public (信用公示: search and a business's file, a report's
// verification). See phone.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { open, check, hrefs } from './phone.mjs';

test('the credit pages fit a phone: my credit, checks, repair, report, public query', async () => {
  const { context, page } = await open('yunlan_food');
  await check(page, '/credit/my', 'credit-my');
  const [repair] = await hrefs(page, /^\/credit\/my\/records\/\d+\/repair$/);
  assert.ok(repair, 'the demo enterprise has a record it may repair');
  const [application] = await hrefs(page, /^\/credit\/repairs\/\d+$/);
  assert.ok(application, 'the demo enterprise has an application');
  const [report] = await hrefs(page, /^\/credit\/reports\/\d+$/);
  assert.ok(report, 'the demo enterprise has a report');
  const [publicFile] = await hrefs(page, /^\/credit\/public\/[0-9A-Z]{18}$/);
  await check(page, '/credit/my/checks', 'credit-checks');
  await check(page, repair, 'credit-repair-form');
  await check(page, application, 'credit-repair');
  await check(page, report, 'credit-report');
  const verify = await page.locator('.report .sig').innerText();
  const pub = await open('');
  await check(pub.page, '/credit/public', 'credit-public');
  await check(pub.page, '/credit/public?q=' + encodeURIComponent('云澜'), 'credit-public-search');
  await check(pub.page, publicFile, 'credit-public-file');
  await check(pub.page, new URL(verify).pathname, 'credit-verify');
  await pub.page.getByText('签名有效', { exact: false }).first().waitFor();
  await pub.context.close();
  await context.close();
});
