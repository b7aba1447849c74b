package entity_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/yingshang/yingshang/internal/auth"
	"github.com/yingshang/yingshang/internal/entity"
	"github.com/yingshang/yingshang/internal/ids"
	"github.com/yingshang/yingshang/internal/pii"
	"github.com/yingshang/yingshang/internal/store"
	"github.com/yingshang/yingshang/internal/store/storetest"
)

func uscc(n int) string {
	body := fmt.Sprintf("92990102MA%07d", n)
	return body + string(ids.USCCCheck(body))
}

func citizenID(n int) string {
	body := fmt.Sprintf("9901021985%04d%03d", 101+n%28, n%1000)
	return body + string(ids.CitizenIDCheck(body))
}

func setup(t *testing.T, db *store.DB) (*entity.Service, *pii.Box) {
	t.Helper()
	box, _ := pii.New([]byte("0123456789abcdef0123456789abcdef"))
	now := time.Date(2026, 12, 3, 2, 0, 0, 0, time.UTC)
	s, err := entity.New(entity.Deps{DB: db, Box: box, Policy: auth.NewPolicy(), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	return s, box
}

var (
	admin  = &auth.Actor{UserID: 1, Name: "管理员", Roles: []auth.Role{auth.RoleAdmin}, RegionCode: "990100"}
	distAd = &auth.Actor{UserID: 2, Name: "区管理员", Roles: []auth.Role{auth.RoleAdmin}, RegionCode: "990103"}
)

func input(n int) entity.Input {
	return entity.Input{USCC: uscc(n), Name: fmt.Sprintf("云澜测试商贸有限公司%d", n), Type: "有限责任公司", LegalRep: "李娜",
		LegalRepID: citizenID(n), Address: "云澜市临江区滨江路88号", RegionCode: "990102", Industry: "F5211",
		CapitalYuan: 500000, EstablishedOn: "2019-05-20", Status: "存续", Scope: "日用百货销售"}
}

func TestPutAndHistory(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s, _ := setup(t, db)
		ctx := context.Background()
		e, out, err := s.Put(ctx, admin, input(1))
		if err != nil || out != entity.Created {
			t.Fatalf("put: %v %v", out, err)
		}
		if strings.Contains(e.LegalRepIDMasked, citizenID(1)[6:14]) || e.LegalRepIDMasked == "" {
			t.Errorf("legal representative's ID shown: %q", e.LegalRepIDMasked)
		}
		var enc string
		db.QueryRow("SELECT legal_rep_id_enc FROM entities WHERE uscc = ?", uscc(1)).Scan(&enc)
		if strings.Contains(enc, citizenID(1)) || enc == "" {
			t.Errorf("ID stored in the clear: %q", enc)
		}
		if _, out, _ := s.Put(ctx, admin, input(1)); out != entity.Unchanged {
			t.Errorf("same again: %v", out)
		}
		in := input(1)
		in.Address, in.Status, in.LegalRepID = "云澜市临江区江滨街道幸福里20号", "吊销", citizenID(2)
		if _, out, err := s.Put(ctx, admin, in); err != nil || out != entity.Updated {
			t.Fatalf("change: %v %v", out, err)
		}
		h, err := s.History(ctx, admin, uscc(1))
		if err != nil || len(h) != 3 {
			t.Fatalf("history: %+v %v", h, err)
		}
		for _, c := range h {
			if strings.Contains(c.Old+c.New, citizenID(1)) || strings.Contains(c.Old+c.New, citizenID(2)) {
				t.Errorf("history holds an ID number: %+v", c)
			}
		}
		// A district administrator may not register another district's business.
		if _, _, err := s.Put(ctx, distAd, input(3)); !errors.Is(err, auth.ErrForbidden) {
			t.Errorf("district admin: %v", err)
		}
		// Readers: staff, the business itself; not another business.
		own := &auth.Actor{UserID: 9, Roles: []auth.Role{auth.RoleEnterprise}, USCC: uscc(1)}
		other := &auth.Actor{UserID: 10, Roles: []auth.Role{auth.RoleEnterprise}, USCC: uscc(2)}
		handler := &auth.Actor{UserID: 11, Roles: []auth.Role{auth.RoleHandler}, RegionCode: "990104", DepartmentIDs: []int64{7}}
		for _, a := range []*auth.Actor{own, handler} {
			if _, err := s.Get(ctx, a, uscc(1)); err != nil {
				t.Errorf("%v reads: %v", a.Roles, err)
			}
		}
		if _, err := s.Get(ctx, other, uscc(1)); !errors.Is(err, entity.ErrNotFound) {
			t.Errorf("another business reads: %v", err)
		}
		// Bad input names each field and stores nothing.
		bad := input(4)
		bad.USCC, bad.Type, bad.Industry, bad.EstablishedOn, bad.Name, bad.LegalRepID = "9299010", "公司", "62", "2027-01-01", "a\x00b", "990102198501010000"
		_, _, err = s.Put(ctx, admin, bad)
		var paths []string
		for _, fe := range valid(err) {
			paths = append(paths, fe)
		}
		for _, want := range []string{"uscc", "type", "industry", "established_on", "name", "legal_representative_id"} {
			if !strings.Contains(strings.Join(paths, " "), want) {
				t.Errorf("bad %s not reported: %v", want, err)
			}
		}
	})
}

func valid(err error) []string {
	var out []string
	for _, s := range strings.Split(fmt.Sprint(err), "\n") {
		if i := strings.Index(s, ":"); i > 0 {
			out = append(out, s[:i])
		}
	}
	return out
}

const heading = "统一社会信用代码,名称,类型,法定代表人,法定代表人身份证号,住所,行政区划代码,行业代码,注册资本（万元）,成立日期,登记状态,经营范围\n"

func csvRow(n int) string {
	return fmt.Sprintf("%s,云澜测试商贸有限公司%d,有限责任公司,李娜,%s,云澜市临江区滨江路%d号,990102,F5211,50,2019/5/20,存续,日用百货销售\n",
		uscc(n), n, citizenID(n), n)
}

func TestImportCSV(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s, _ := setup(t, db)
		ctx := context.Background()
		var b strings.Builder
		b.WriteString("\ufeff" + heading)
		for n := 1; n <= 50; n++ {
			b.WriteString(csvRow(n))
		}
		b.WriteString(strings.Replace(csvRow(51), "F5211", "Z99", 1))              // row 52: bad industry
		b.WriteString(strings.Replace(csvRow(52), "2019/5/20", "去年", 1))           // row 53: bad date
		b.WriteString(csvRow(3))                                                   // row 54: repeats row 4
		b.WriteString(strings.Replace(csvRow(53), uscc(53), uscc(53)[:17]+"0", 1)) // row 55: bad check character
		file := b.String()

		// Strict: one refused row stores nothing, and the report names rows and fields.
		rep, err := s.Import(ctx, admin, strings.NewReader(file), entity.ImportOptions{Format: "csv"})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Applied || rep.Rows != 54 || rep.RejectedRows != 4 || count(t, db, "entities") != 0 {
			t.Fatalf("strict import: %+v, %d stored", rep, count(t, db, "entities"))
		}
		want := map[int]string{52: "industry", 53: "established_on", 54: "uscc", 55: "uscc"}
		for _, r := range rep.Rejected {
			if want[r.Row] != r.Field {
				t.Errorf("rejected row %d field %s (%s)", r.Row, r.Field, r.Message)
			}
			delete(want, r.Row)
		}
		if len(want) != 0 {
			t.Errorf("not reported: %v", want)
		}
		// Skipping invalid rows stores the 50 good ones, with progress.
		var progress []int
		rep, err = s.Import(ctx, admin, strings.NewReader(file), entity.ImportOptions{Format: "csv", SkipInvalid: true,
			ProgressEvery: 20, Progress: func(n int) { progress = append(progress, n) }})
		if err != nil || !rep.Applied || rep.Created != 50 || count(t, db, "entities") != 50 {
			t.Fatalf("import skipping invalid rows: %+v %v", rep, err)
		}
		if len(progress) != 3 || progress[0] != 20 || progress[2] != 54 {
			t.Errorf("progress: %v", progress)
		}
		e, err := s.Get(ctx, admin, uscc(7))
		if err != nil || e.CapitalYuan != 500000 || e.EstablishedOn != "2019-05-20" {
			t.Errorf("imported row: %+v %v", e, err)
		}
		// Again with one address changed: one update, history from the file.
		file2 := heading + csvRow(1) + strings.Replace(csvRow(2), "滨江路2号", "滨江路200号", 1)
		rep, err = s.Import(ctx, admin, strings.NewReader(file2), entity.ImportOptions{Format: "csv", Source: "register-2026-12.csv"})
		if err != nil || rep.Updated != 1 || rep.Unchanged != 1 {
			t.Fatalf("re-import: %+v %v", rep, err)
		}
		if h, _ := s.History(ctx, admin, uscc(2)); len(h) != 1 || h[0].Field != "address" || h[0].Source != "register-2026-12.csv" {
			t.Errorf("history of the re-import: %+v", h)
		}
		// Missing columns, a district administrator, a cancelled import.
		if _, err := s.Import(ctx, admin, strings.NewReader("统一社会信用代码,名称\n"), entity.ImportOptions{Format: "csv"}); err == nil ||
			!strings.Contains(err.Error(), "住所") {
			t.Errorf("missing columns: %v", err)
		}
		// A district administrator imports only the district's businesses.
		if rep, err := s.Import(ctx, distAd, strings.NewReader(heading+csvRow(800)), entity.ImportOptions{Format: "csv", SkipInvalid: true}); err != nil ||
			rep.Created != 0 || len(rep.Rejected) != 1 || rep.Rejected[0].Field != "region_code" {
			t.Errorf("district admin imports another district: %+v %v", rep, err)
		}
		if _, err := s.Import(ctx, &auth.Actor{UserID: 3, Roles: []auth.Role{auth.RoleHandler}}, strings.NewReader(file),
			entity.ImportOptions{Format: "csv"}); !errors.Is(err, auth.ErrForbidden) {
			t.Errorf("handler imports: %v", err)
		}
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := s.Import(cctx, admin, strings.NewReader(heading+csvRow(900)), entity.ImportOptions{Format: "csv"}); err == nil {
			t.Error("cancelled import succeeded")
		}
		if ok, _ := s.Exists(ctx, uscc(900)); ok {
			t.Error("a cancelled import stored a row")
		}
	})
}

func TestImportXLSX(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s, _ := setup(t, db)
		f := excelize.NewFile()
		sheet := f.GetSheetName(0)
		for i, h := range strings.Split(strings.TrimSpace(heading), ",") {
			cell, _ := excelize.CoordinatesToCellName(i+1, 1)
			f.SetCellValue(sheet, cell, h)
		}
		for n := 1; n <= 20; n++ {
			row := strings.Split(strings.TrimSpace(csvRow(n)), ",")
			for i, v := range row {
				cell, _ := excelize.CoordinatesToCellName(i+1, n+1)
				switch i {
				case 8:
					f.SetCellValue(sheet, cell, 50.5) // a number cell
				case 9:
					f.SetCellValue(sheet, cell, time.Date(2018, 3, n, 0, 0, 0, 0, time.UTC)) // a date cell
				default:
					f.SetCellValue(sheet, cell, v)
				}
			}
		}
		var buf bytes.Buffer
		if err := f.Write(&buf); err != nil {
			t.Fatal(err)
		}
		rep, err := s.Import(context.Background(), admin, &buf, entity.ImportOptions{Format: "xlsx"})
		if err != nil || !rep.Applied || rep.Created != 20 {
			t.Fatalf("xlsx import: %+v %v", rep, err)
		}
		e, _ := s.Get(context.Background(), admin, uscc(5))
		if e.CapitalYuan != 505000 || e.EstablishedOn != "2018-03-05" {
			t.Errorf("xlsx row: capital %d, established %s", e.CapitalYuan, e.EstablishedOn)
		}
		if _, err := s.Import(context.Background(), admin, strings.NewReader("not a workbook"), entity.ImportOptions{Format: "xlsx"}); !errors.Is(err, entity.ErrInvalid) {
			t.Errorf("not a workbook: %v", err)
		}
	})
}

func count(t *testing.T, db *store.DB, table string) int {
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestParseCapital(t *testing.T) {
	for s, want := range map[string]int64{"50": 500000, "1,200.5": 12005000, "30万": 300000, "": 0, "0.01": 100} {
		if got, err := entity.ParseCapital(s); err != nil || got != want {
			t.Errorf("ParseCapital(%q) = %d, %v; want %d", s, got, err, want)
		}
	}
	for _, s := range []string{"-1", "abc", "NaN"} {
		if _, err := entity.ParseCapital(s); err == nil {
			t.Errorf("ParseCapital(%q) accepted", s)
		}
	}
}
