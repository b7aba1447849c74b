// The "done when" of credit supervision (issue 8), walked through the real
// pages as the users would. Here: a market-regulation officer imports a
// register (CSV upload), records a penalty, sees it published on time and
// withdrawn on time (the staff file as of a day, the public file before and
// after) and sees the department's warnings. The business's path is
// credit-business.test.mjs, the risk model credit-risk.test.mjs, the
// refusal of 告知承诺 credit-commitment.test.mjs (one file each: each file
// has its own time budget).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { open, check, base } from './phone.mjs';
import { laptop, tag, shop, builder, day, submit, row } from './credit.mjs';

test('the officer imports a register, records a penalty, publishes and withdraws it on time, and sees warnings', async () => {
  const { context, page } = await open('handler_scj', laptop);
  // The register, uploaded through the page.
  await page.goto(base + '/credit/entities');
  await Promise.all([page.waitForNavigation(), page.getByRole('link', { name: '导入经营主体名录' }).click()]);
  const csv = '统一社会信用代码,名称,类型,法定代表人,住所,行政区划代码,行业代码,注册资本（万元）,成立日期,登记状态\n' +
    `${shop},云澜鲜道${tag}商贸有限公司,有限责任公司,周明,云澜市临江区江滨路1号,990102,F5211,100,2019-03-01,存续\n` +
    `${builder},云澜筑城${tag}建材有限公司,有限责任公司,吴亮,云澜市临江区江滨路2号,990102,F5165,200,2015-06-01,存续\n`;
  await page.locator('#file').setInputFiles({ name: 'register.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await submit(page, '#btn-import');
  assert.match(await page.locator('#import-applied').innerText(), /共 2 行，新增 2/);

  // A penalty decided ten days ago and published two days later: within
  // the 7 working days of 双公示.
  const no = `临市监罚〔2026〕E${tag}号`;
  await page.goto(base + `/credit/entities/${shop}`);
  await Promise.all([page.waitForNavigation(), page.getByRole('link', { name: '登记行政处罚' }).click()]);
  await page.locator('#decision_no').fill(no);
  await page.locator('#decision_date').fill(day(-10));
  await page.locator('#published_on').fill(day(-8));
  await page.locator('#legal_basis').fill('《中华人民共和国反不正当竞争法》第二十条');
  await page.locator('#content').fill('对商品作虚假宣传，罚款5万元。');
  await page.locator('input[name="kinds"][value="罚款"]').check();
  await page.locator('#fine_yuan').fill('50000');
  await submit(page, '#btn-record');
  await page.getByText('已登记，按公示规则公示。').waitFor();
  let text = await row(page, no);
  assert.ok(text.includes(day(-8)) && !text.includes('迟报'), 'published on time: ' + text);
  assert.match(text, /公示中/);
  // public_until: a fine of at most 100,000 yuan for an organisation is
  // shown for 3 months from publication; the API says the same day.
  const state = await (await page.request.get(base + `/api/v1/credit/entities/${shop}`)).json();
  const rec = state.records.find((r) => r.decision_no === no);
  assert.ok(rec && rec.public_until > day(60) && rec.public_until < day(100), JSON.stringify(rec));
  assert.ok(text.includes(rec.public_until), 'the staff file shows public_until ' + rec.public_until + ': ' + text);

  // The public file shows it today.
  const pub = await open('');
  await pub.page.goto(base + `/credit/public/${shop}`);
  assert.ok((await pub.page.locator('main').innerText()).includes(no), 'shown on the public file');

  // The penalty moves the shop's risk class (the outbox hands the record
  // to the risk module), and the warning reaches the department's warnings
  // page. Looked for before the withdrawal, which would move the class back
  // if the record reached the risk module only after it.
  let seen = false;
  for (let i = 0; i < 40 && !seen; i++) {
    await page.goto(base + `/warnings?uscc=${shop}`);
    seen = (await page.locator('tbody').count()) > 0 && (await page.locator('tbody').innerText()).includes(shop);
    if (!seen) await page.waitForTimeout(1500);
  }
  assert.ok(seen, 'a warning about the shop on /warnings');
  await page.goto(base + `/credit/entities/${shop}`);

  // The decision is revoked: withdrawn today, within the 3 working days.
  await submit(page, `#withdraw-${rec.id}`);
  await page.getByText('已撤下').first().waitFor();
  text = await row(page, no);
  assert.ok(text.includes(day(0)) && /不公示/.test(text), 'withdrawn today and no longer shown: ' + text);
  // As of yesterday it was shown.
  await page.locator('#as_of').fill(day(-1));
  await submit(page, '#as-of-form button');
  assert.match(await row(page, no), /公示中/, 'shown as of yesterday');
  await pub.page.reload();
  assert.ok(!(await pub.page.locator('main').innerText()).includes(no), 'not on the public file after withdrawal');
  await pub.context.close();

  await context.close();
});
