// Policies that find the business (政策找人、免申即享): the science and
// technology bureau (policy_kjj, on a laptop) drafts a policy with a rule
// and a benefit formula, is refused a rule of the wrong type with the
// clause named, publishes it and sees the matching businesses; the demo
// enterprise (yunlan_food, on a phone) finds it pushed to it with every
// clause explained, uses the 政策计算器, and is told what it lacks for a
// policy it does not qualify for; a 免申即享 grant whose publicity ended is
// decided and its payment recorded to the account on file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { open, check, hrefs, base } from './phone.mjs';

const laptop = { width: 1280, height: 900 };

test('a policy is drafted, type-checked, published and finds the business; 免申即享 goes to payment', async () => {
  const staff = await open('policy_kjj', laptop);
  const s = staff.page;
  const code = 'E2E-KJJ-' + Date.now().toString(36).toUpperCase();
  const title = '端到端测试用工奖励' + code.slice(-4);
  await s.goto(base + '/policies/new');
  await s.locator('input[name=code]').fill(code);
  await s.locator('input[name=title]').fill(title);
  await s.locator('input[name=source_doc]').fill('云科发〔2026〕99号');
  await s.locator('select[name=mode]').selectOption('apply');
  const texts = s.locator('input[name=clause_text]');
  const rules = s.locator('input[name=clause_rule]');
  await texts.nth(0).fill('从业人数不少于30人');
  await rules.nth(0).fill('fact.employees >= 30');
  await texts.nth(1).fill('上年度营业收入不低于300万元');
  await rules.nth(1).fill('fact.revenue >= "300万"'); // a number compared with text
  await s.locator('input[name=benefit]').fill('fact.tax_paid * 0.1');
  await s.locator('input[name=cap_yuan]').fill('50000');
  // The demo enterprise is on the abnormal operations list (the credit
  // demo); this policy does not exclude it.
  await s.locator('input[name=ex_abnormal]').uncheck();
  await Promise.all([s.waitForNavigation(), s.locator('#policy-form button[type=submit]').click()]);
  const alert = await s.locator('.alert').innerText();
  assert.match(alert, /第2项条件/, 'the refusal names the clause: ' + alert);
  await s.locator('input[name=clause_rule]').nth(1).fill('fact.revenue >= 3000000.0');
  await Promise.all([s.waitForNavigation(), s.locator('#policy-form button[type=submit]').click()]);
  assert.match(new URL(s.url()).pathname, /^\/policies\/\d+$/, 'saved as a draft: ' + s.url());
  const policyPath = new URL(s.url()).pathname;
  await Promise.all([s.waitForNavigation(), s.locator('#publish').click()]);
  await s.getByText('已发布，并已完成匹配和推送。').waitFor();
  assert.match(await s.locator('#policy-status').innerText(), /已发布/);
  const explained = await hrefs(s, /^\/policies\/\d+\/explain\/[0-9A-Z]{18}$/);
  assert.ok(explained.length >= 1, 'the matching businesses are listed');

  // The demo enterprise on a phone: the message, the explanation, the calculator.
  const ent = await open('yunlan_food');
  const e = ent.page;
  // The message goes out through the outbox, a moment after publication.
  let box = '';
  for (let i = 0; i < 20 && !box.includes('您符合惠企政策：' + title); i++) {
    if (i > 0) await e.waitForTimeout(2000);
    await check(e, '/messages', 'policy-messages');
    box = await e.locator('main').innerText();
  }
  assert.ok(box.includes('您符合惠企政策：' + title), 'the message reached the business: ' + box.slice(0, 400));
  await check(e, '/policies/mine', 'policy-mine');
  await e.getByText(title).first().waitFor();
  const id = policyPath.split('/').pop();
  await check(e, '/policies/calculator/' + id, 'policy-explain');
  assert.match(await e.locator('#verdict').innerText(), /符合条件.*18600\.05/);
  const clauses = e.locator('ol.clauses > li');
  assert.equal(await clauses.count(), 2);
  for (let i = 0; i < 2; i++) {
    const li = await clauses.nth(i).innerText();
    assert.match(li, /✓ 满足/, 'each clause held: ' + li);
    assert.match(li, /截至 \d{4}-\d{2}-\d{2}/, 'each value with its as-of date: ' + li);
  }
  await e.getByText('从业人数：36').first().waitFor();

  // The one it does not qualify for says what it lacks.
  await e.goto(base + '/policies/mine');
  const missed = await e.locator('.policy-card.missed a', { hasText: '高新技术企业认定奖励' }).getAttribute('href');
  await check(e, missed, 'policy-missed');
  assert.match(await e.locator('#verdict').innerText(), /暂不符合/);
  const lacks = await e.locator('#what-would-i-need + ul').innerText();
  assert.match(lacks, /高新技术企业|研发费用/, 'told what it lacks: ' + lacks);

  // 免申即享: the account on file, then the grant whose publicity ended.
  await e.goto(base + '/policies/mine');
  await e.getByLabel('开户银行').fill('云澜银行临江支行');
  await e.getByLabel('银行账号').fill('6222020200112233445');
  await Promise.all([e.waitForNavigation(), e.getByLabel('银行账号').press('Enter')]);
  await e.getByText('收款账户已保存。').waitFor();

  await s.goto(base + '/policies?q=' + encodeURIComponent('小微企业纳税贡献奖励'));
  const [demo3] = await hrefs(s, /^\/policies\/\d+$/);
  assert.ok(demo3, 'the demo 免申即享 policy is listed');
  await s.goto(base + demo3);
  const [grant] = await hrefs(s, /^\/policies\/grants\/\d+$/);
  assert.ok(grant, 'its publicity list has the demo enterprise');
  await s.goto(base + grant);
  assert.match(await s.locator('#grant-status').innerText(), /公示中/);
  await Promise.all([s.waitForNavigation(), s.locator('#decide').click()]);
  assert.match(await s.locator('#grant-status').innerText(), /已决定兑现/);
  await Promise.all([s.waitForNavigation(), s.locator('#pay').click()]);
  assert.match(await s.locator('#grant-status').innerText(), /已拨付/);
  await check(e, grant, 'policy-grant');
  assert.match(await e.locator('#grant-status').innerText(), /已拨付/);
  await ent.context.close();
  await staff.context.close();
});
