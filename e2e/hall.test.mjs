// Browser test of the service hall's bundle (一件事一次办) and cross-region
// handling (跨域通办), on the demo city: the enterprise applies for the
// 开办餐饮店 bundle with one form and one set of materials; two items are
// approved at once by their rules, the food business licence goes through
// 容缺 and is decided by people; the bundle's one result lists the
// certificates, one of which the public verification page shows as valid.
// Then the 青山区 window applies on a person's behalf for an item owned by
// 临江区 and forwards it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const base = process.env.YS_BASE_URL;
const shots = process.env.YS_SHOTS || '/tmp';
const password = 'Yunlan@2026';
let browser;

// A tiny valid PDF, generated here.
const pdf = Buffer.from('%PDF-1.4\n% yingshang browser test\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
const file = (name) => ({ name, mimeType: 'application/pdf', buffer: pdf });

// citizenID completes a 17-digit base with its GB 11643 check character.
function citizenID(base) {
  const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  let s = 0;
  for (let i = 0; i < 17; i++) s += Number(base[i]) * w[i];
  return base + '10X98765432'[s % 11];
}

// uscc completes a 17-character base with its GB 32100 check character.
function uscc(base) {
  const cs = '0123456789ABCDEFGHJKLMNPQRTUWXY';
  const w = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
  let s = 0;
  for (let i = 0; i < 17; i++) s += cs.indexOf(base[i]) * w[i];
  return base + cs[(31 - (s % 31)) % 31];
}

before(async () => {
  assert.ok(base, 'YS_BASE_URL must be set (e2e/run.sh sets it)');
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => { await browser?.close(); });

async function signIn(username) {
  const context = await browser.newContext({ locale: 'zh-CN' });
  const page = await context.newPage();
  await page.goto(base + '/signin');
  await page.getByLabel('用户名').fill(username);
  await page.getByLabel('密码').fill(password);
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: '登录' }).click()]);
  return { context, page };
}

// as runs fn signed in as username, closing the browser context after.
async function as(username, fn) {
  const { context, page } = await signIn(username);
  try {
    return await fn(page);
  } finally {
    await context.close();
  }
}

// act submits the action form holding button on the application page.
async function act(page, button, fill = async () => {}) {
  const form = page.locator('form.action').filter({ has: page.getByRole('button', { name: button, exact: true }) });
  await fill(form);
  await Promise.all([page.waitForNavigation(), form.getByRole('button', { name: button, exact: true }).click()]);
  await page.getByText('已办理。').waitFor();
}

test('an enterprise applies for 开办餐饮店 with one form; the bundle gives one result with verifiable certificates', async () => {
  let bundleURL, foodPath;
  await as('yunlan_food', async (page) => {
    await page.goto(base + '/bundles');
    await page.getByRole('link', { name: '开办餐饮店' }).click();
    await page.getByRole('heading', { name: /开办餐饮店/ }).waitFor();
    await page.getByRole('link', { name: '我要申请' }).click();
    await page.getByRole('heading', { name: /申请：开办餐饮店/ }).waitFor();

    // One form: the fields the three items share (面积, 从业人员数) appear once.
    assert.equal(await page.locator('[name="f_area"]').count(), 1);
    assert.equal(await page.locator('[name="f_staff_count"]').count(), 1);
    const fill = { trade_name: '云澜味道滨江店', operator_name: '李娜', operator_id: citizenID('99010219850612345'),
      phone: '13800000002', premises: '云澜市临江区滨江路88号', capital: '200000', scope: '餐饮服务',
      area: '180', staff_count: '12', uscc: uscc('91990102MA01YL8A1') };
    for (const [k, v] of Object.entries(fill)) await page.locator(`[name="f_${k}"]`).fill(v);
    await page.locator('[name="f_form_of_business"]').selectOption('个人经营');
    // Several business activities (多选).
    await page.locator('[name="f_items"][value="热食类食品制售"]').check();
    await page.locator('[name="f_items"][value="冷食类食品制售"]').check();
    await page.locator('[name="f_format"]').selectOption('餐饮服务经营者');
    await page.locator('[name="f_venue_type"]').selectOption('文化娱乐场所');

    // One set of materials: the held business licence is used with consent
    // (共享), the food-safety rules are promised (容缺), the rest uploaded.
    const materials = page.locator('fieldset .material');
    const n = await materials.count();
    let consented = 0, promised = 0, uploaded = 0;
    for (let i = 0; i < n; i++) {
      const m = materials.nth(i);
      const name = (await m.locator('strong').innerText()).trim();
      const consent = m.locator('input[name^="consent_"]');
      if (await consent.count()) {
        assert.ok(name.includes('营业执照'), `consent offered for ${name}`);
        await consent.check();
        consented++;
        continue;
      }
      if (name === '食品安全管理制度文本') {
        await m.locator('input[name^="shortfall_"]').check();
        promised++;
        continue;
      }
      if (name === '委托书') continue;
      await m.locator('input[type="file"]').setInputFiles(file(`${name}.pdf`));
      uploaded++;
    }
    // The business licence is the registration's own result: asked of no one.
    assert.equal(consented, 0, 'the business licence the bundle produces is not asked for');
    assert.equal(promised, 1);
    assert.ok(uploaded >= 8, `uploaded ${uploaded}`);
    await Promise.all([page.waitForURL(/\/bundle-applications\/\d+/), page.getByRole('button', { name: '提交一件事申请' }).click()]);
    bundleURL = page.url().replace(/\?.*$/, '');

    // Each item went to its department: two approved by their rules at once,
    // the food licence waits with 容缺.
    const row = (item) => page.locator('table.bundle-children tbody tr').filter({ hasText: item });
    await row('个体工商户设立登记').filter({ hasText: '准予许可' }).filter({ hasText: '秒批' }).waitFor();
    await row('公共场所卫生许可').filter({ hasText: '准予许可' }).waitFor();
    await row('食品经营许可').filter({ hasText: '待受理' }).filter({ hasText: '容缺待补' }).waitFor();
    assert.equal(await page.locator('#bundle-status').innerText(), '办理中');
    foodPath = await row('食品经营许可').getByRole('link').getAttribute('href');
    await page.screenshot({ path: `${shots}/bundle-submitted.png`, fullPage: true });
  });

  // The 临江 window accepts it with the shortfall (容缺受理).
  await as('clerk_lj', async (page) => {
    await page.goto(base + foodPath);
    await act(page, '容缺受理');
    await page.getByText('审查中').first().waitFor();
  });
  // The enterprise supplies the promised material.
  await as('yunlan_food', async (page) => {
    await page.goto(base + foodPath);
    await act(page, '提交', async (form) => {
      await form.getByLabel('食品安全管理制度文本').setInputFiles(file('食品安全管理制度.pdf'));
    });
  });
  // The department reviews and decides.
  await as('handler_scj', async (page) => {
    await page.goto(base + foodPath);
    await act(page, '审查通过', (form) => form.getByLabel('审查意见').fill('材料齐全，经营场所符合要求'));
  });
  await as('approver_scj', async (page) => {
    await page.goto(base + foodPath);
    await act(page, '准予许可', (form) => form.getByLabel(/理由/).fill('符合《中华人民共和国食品安全法》第三十五条规定的条件，准予许可'));
  });

  // One result when all are done, with the certificates, verifiable.
  await as('yunlan_food', async (page) => {
    await page.goto(bundleURL);
    await page.getByRole('heading', { name: '一件事办理结果通知书' }).waitFor();
    assert.equal(await page.locator('#bundle-status').innerText(), '已全部办结');
    const result = page.locator('table.bundle-result tbody tr');
    assert.equal(await result.count(), 3);
    assert.equal(await result.filter({ hasText: '准予许可' }).count(), 3);
    assert.equal(await page.locator('table.bundle-result').getByRole('link', { name: '核验链接' }).count(), 3);
    await page.screenshot({ path: `${shots}/bundle-result.png`, fullPage: true });
    const href = await result.filter({ hasText: '食品经营许可' }).getByRole('link', { name: '核验链接' }).getAttribute('href');
    assert.match(href, /^\/verify\//);
    // The public page, signed out.
    const pub = await browser.newContext({ locale: 'zh-CN' });
    const p = await pub.newPage();
    await p.goto(base + href);
    await p.locator('.verdict').filter({ hasText: '有效' }).waitFor();
    assert.ok(await p.getByText('食品经营许可证').count() >= 1);
    await pub.close();
  });
});

test('the 青山区 window applies on a person\'s behalf for an item owned by 临江区 and forwards it', async () => {
  await as('clerk_qs', async (page) => {
    await page.goto(base + '/apply/990102-XK-001');
    await page.getByRole('heading', { name: /个体工商户设立登记/ }).waitFor();
    await page.locator('#applicant_kind').selectOption('person');
    await page.locator('#applicant_name').fill('赵六');
    const id = citizenID('99010319920818456');
    await page.locator('#applicant_id').fill(id);
    const fill = { trade_name: '赵六早餐店', operator_name: '赵六', operator_id: id, phone: '13900000066',
      premises: '云澜市临江区江滨街道幸福里30号', capital: '20000', scope: '早餐服务' };
    for (const [k, v] of Object.entries(fill)) await page.locator(`[name="f_${k}"]`).fill(v);
    await page.locator('[name="f_form_of_business"]').selectOption('个人经营');
    const materials = page.locator('fieldset .material');
    for (let i = 0; i < await materials.count(); i++) {
      const m = materials.nth(i);
      const name = (await m.locator('strong').innerText()).trim();
      const input = m.locator('input[name^="file_"]');
      // The identity card is checked with its owning department (部门核验), not uploaded.
      if (name !== '委托书' && name !== '经营者身份证明' && await input.count()) await input.setInputFiles(file(`${name}.pdf`));
    }
    await page.locator('#delivery').selectOption('post');
    await page.locator('#delivery_address').fill('云澜市青山区青山大道18号 赵六');
    await Promise.all([page.waitForURL(/\/applications\/\d+/), page.getByRole('button', { name: '提交申请' }).click()]);
    const appPath = new URL(page.url()).pathname;

    // The receiving window checks form and identity and forwards.
    await page.goto(base + '/cross-region');
    const pending = page.locator('table.cross-pending tbody tr').filter({ hasText: '赵六' });
    await Promise.all([page.waitForURL(/\/cross-region\/\d+/), pending.getByRole('link', { name: '核验并转交' }).click()]);
    await page.getByText('临江区').first().waitFor();
    await page.getByLabel('已核对申请表').check();
    await page.getByLabel('已核验申请人身份').check();
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: /转交所属地办理/ }).click()]);
    // 异地代收代办: forwarded, it awaits the owning locality's intake.
    await page.locator('#cross-status').filter({ hasText: '待属地受理' }).waitFor();
    await page.getByRole('heading', { name: '已转交' }).waitFor();
    await page.screenshot({ path: `${shots}/cross-region.png`, fullPage: true });

    // Both sides see it: the owning department's handler takes it in.
    await as('handler_scj', async (p) => {
      await p.goto(base + appPath);
      await p.getByText('待属地受理').first().waitFor();
      assert.ok(await p.getByText('赵六').count() >= 1);
      await Promise.all([p.waitForNavigation(), p.getByRole('button', { name: '受理', exact: true }).click()]);
      await p.getByText('审查中').first().waitFor();
      await p.getByRole('link', { name: '受理通知书' }).waitFor();
    });
  });
});

test('a window clerk applies for a business holding an e-licence, recording its consent; the approval yields the certificate', async () => {
  let appPath;
  await as('clerk_lj', async (page) => {
    await page.goto(base + '/apply/990102-XK-002');
    await page.getByRole('heading', { name: /食品经营许可/ }).waitFor();
    assert.equal(await page.getByText('或到窗口出示').count(), 0);
    await page.locator('#applicant_kind').selectOption('enterprise');
    await page.locator('#applicant_name').fill('云澜味道餐饮有限公司');
    await page.locator('#applicant_uscc').fill(uscc('91990102MA01YL8A1'));
    await page.locator('[name="f_area"]').fill('120');
    await page.locator('[name="f_items"][value="热食类食品制售"]').check();
    await page.locator('[name="f_format"]').selectOption('餐饮服务经营者');
    await page.locator('[name="f_staff_count"]').fill('8');
    await page.locator('[name="f_uscc"]').fill(uscc('91990102MA01YL8A1'));
    const materials = page.locator('fieldset .material');
    for (let i = 0; i < await materials.count(); i++) {
      const m = materials.nth(i);
      const name = (await m.locator('strong').innerText()).trim();
      if (name === '营业执照') {
        // The holder confirmed at the window.
        await m.locator('input[value="in_person"]').check();
        continue;
      }
      if (name === '委托书' || name.includes('身份证明')) continue;
      await m.locator('input[name^="file_"]').setInputFiles(file(`${name}.pdf`));
    }
    await Promise.all([page.waitForURL(/\/applications\/\d+/), page.getByRole('button', { name: '提交申请' }).click()]);
    appPath = new URL(page.url()).pathname;
    await page.getByText('持证人当面确认').first().waitFor();
    await act(page, '受理');
  });
  await as('handler_scj', async (page) => {
    await page.goto(base + appPath);
    await act(page, '审查通过', (form) => form.getByLabel('审查意见').fill('材料齐全'));
  });
  await as('approver_scj', async (page) => {
    await page.goto(base + appPath);
    await act(page, '准予许可', (form) => form.getByLabel(/理由/).fill('符合《中华人民共和国食品安全法》第三十五条规定的条件，准予许可'));
  });
  // The clerk's 查看证照 link reaches the certificate.
  await as('clerk_lj', async (page) => {
    await page.goto(base + appPath);
    await Promise.all([page.waitForNavigation(), page.getByRole('link', { name: '查看证照' }).click()]);
    await page.locator('.verdict').filter({ hasText: '有效' }).waitFor();
  });
});
