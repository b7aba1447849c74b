package inspection

import (
	"bytes"
	"cmp"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
)

// Draw is a published 双随机 draw, in the JSON shape of issue 9. The keys
// task_id, pool, pool_hash, participants, seed, ratios and selected are the
// issue's; the others publish what the inspector draw needs (the inspector
// pool and the avoidance facts), so that the whole draw can be recomputed
// from this document alone (Recompute, `yingshang inspection verify-draw`).
type Draw struct {
	TaskID       string             `json:"task_id"`
	Pool         []PoolEntry        `json:"pool" doc:"The frozen pool of businesses, sorted by code"`
	PoolHash     string             `json:"pool_hash" doc:"SHA-256 of the codes, each followed by \\n, lowercase hex"`
	Participants []Participant      `json:"participants" doc:"In the order their secrets enter the seed"`
	Seed         string             `json:"seed" doc:"SHA-256(pool_hash + \"|\" + secret_1 + \"|\" + secret_2 …), lowercase hex"`
	Ratios       map[string]float64 `json:"ratios" doc:"Inspection ratio per risk class"`
	Selected     []Selected         `json:"selected" doc:"The businesses drawn, sorted by code"`

	// Department is the code of the organising department; JointRef the
	// reference of the cross-department joint task (跨部门联合抽查), empty
	// when the task is one department's.
	Department string `json:"department"`
	JointRef   string `json:"joint_ref"`
	// InspectorsPerBusiness is how many inspectors are drawn for each
	// business (2).
	InspectorsPerBusiness int `json:"inspectors_per_business"`
	// InspectorPool are the inspectors that could be drawn, sorted by code.
	InspectorPool []PoolInspector `json:"inspector_pool"`
	// Conflicts are the pairs an inspector may not inspect (a declared
	// 亲属 or former employer), without saying which.
	Conflicts []Conflict `json:"avoidance_conflicts"`
	// Previous names, for businesses of the pool inspected before, the
	// inspectors of their previous inspection.
	Previous []Previous `json:"avoidance_previous"`
}

// PoolEntry is one business of the pool and its risk class.
type PoolEntry struct {
	Code  string `json:"code"`
	Class string `json:"class" enum:"A,B,C,D"`
}

// Participant is one party to the draw: its commitment is published before
// the pool is frozen and its secret at the draw.
type Participant struct {
	Name       string `json:"name"`
	Commitment string `json:"commitment" doc:"SHA-256(secret), lowercase hex"`
	Secret     string `json:"secret"`
}

// Selected is one business drawn with its score and inspectors.
type Selected struct {
	Code       string   `json:"code"`
	Class      string   `json:"class"`
	Score      string   `json:"score" doc:"HMAC-SHA256(seed, task_id:code), lowercase hex"`
	Inspectors []string `json:"inspectors" doc:"Codes of the inspectors drawn (lowest scores first)"`
}

// PoolInspector is one inspector who could be drawn.
type PoolInspector struct {
	Code       string `json:"code" doc:"The inspector's public code (执法证号)"`
	Department string `json:"department" doc:"Code of the inspector's department"`
}

// Conflict is an inspector who may not inspect a business.
type Conflict struct {
	Inspector string `json:"inspector"`
	Code      string `json:"code"`
}

// Previous names the inspectors of a business's previous inspection.
type Previous struct {
	Code       string   `json:"code"`
	Inspectors []string `json:"inspectors"`
}

// Classes are the risk classes, A (low) to D (high).
var Classes = []string{"A", "B", "C", "D"}

// Commitment returns lowercase hex SHA-256(secret).
func Commitment(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// PoolHash returns lowercase hex SHA-256 of the codes, each followed by
// "\n", in the order given (sorted by code in a draw).
func PoolHash(pool []PoolEntry) string {
	h := sha256.New()
	buf := make([]byte, 0, 64*1024)
	for _, p := range pool {
		if len(buf)+len(p.Code)+1 > cap(buf) {
			h.Write(buf)
			buf = buf[:0]
		}
		buf = append(buf, p.Code...)
		buf = append(buf, '\n')
	}
	h.Write(buf)
	return hex.EncodeToString(h.Sum(nil))
}

// Seed returns SHA-256(poolHash + "|" + secret_1 + "|" + secret_2 …) as
// lowercase hex.
func Seed(poolHash string, secrets []string) string {
	h := sha256.New()
	h.Write([]byte(poolHash))
	for _, s := range secrets {
		h.Write([]byte("|"))
		h.Write([]byte(s))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Quota returns ceil(ratio × size), computed so that a ratio written in
// decimal (0.2 × 10) is not pushed over an integer by binary rounding.
func Quota(ratio float64, size int) int {
	if ratio <= 0 || size == 0 {
		return 0
	}
	x := ratio * float64(size)
	n := math.Ceil(x - 1e-9*math.Max(1, x))
	return min(int(n), size)
}

// sortKey orders a stratum by the first 8 bytes of the scores.
type sortKey struct {
	k uint64
	j int32
}

// scored is a business of one stratum with its score.
type scored struct {
	score [32]byte
	i     int32 // index into the pool
}

// Compute fills in d.PoolHash, d.Seed and d.Selected from the pool, the
// participants' secrets, the ratios, the inspector pool and the avoidance
// facts. It checks that the pool is sorted by code without duplicates,
// that every class has a ratio in [0, 1] and that every secret matches its
// commitment, and refuses the draw otherwise.
func Compute(d *Draw) error {
	if d.InspectorsPerBusiness <= 0 {
		d.InspectorsPerBusiness = 2
	}
	for i := 1; i < len(d.Pool); i++ {
		if d.Pool[i-1].Code >= d.Pool[i].Code {
			return fmt.Errorf("inspection: pool not sorted by code or duplicated at %q (抽查对象名录未按代码排序或重复)", d.Pool[i].Code)
		}
	}
	for _, c := range Classes {
		r, ok := d.Ratios[c]
		if !ok || math.IsNaN(r) || r < 0 || r > 1 {
			return fmt.Errorf("inspection: ratio of class %s missing or outside [0,1] (抽查比例须在0到1之间)", c)
		}
	}
	if len(d.Participants) < 2 {
		return fmt.Errorf("inspection: a draw needs at least two participants (至少需要两名参与方)")
	}
	secrets := make([]string, len(d.Participants))
	for i, p := range d.Participants {
		if Commitment(p.Secret) != p.Commitment {
			return fmt.Errorf("inspection: the secret of participant %d (%s) does not match its commitment (密钥与承诺值不符)", i+1, p.Name)
		}
		secrets[i] = p.Secret
	}
	d.PoolHash = PoolHash(d.Pool)
	d.Seed = Seed(d.PoolHash, secrets)
	key, _ := hex.DecodeString(d.Seed)

	strata := map[string][]int32{}
	for i, p := range d.Pool {
		if !slices.Contains(Classes, p.Class) {
			return fmt.Errorf("inspection: business %s has no risk class A–D (%q)", p.Code, p.Class)
		}
		strata[p.Class] = append(strata[p.Class], int32(i))
	}
	var chosen []scored
	for _, c := range Classes {
		idx := strata[c]
		k := Quota(d.Ratios[c], len(idx))
		if k == 0 {
			continue
		}
		sc := scoreAll(key, d.TaskID, d.Pool, idx)
		if k < len(sc) {
			// Only the k lowest are needed: sort compact keys (the first 8
			// bytes of the score); the whole score and the code break the
			// (improbable) ties.
			keys := make([]sortKey, len(sc))
			for j := range sc {
				keys[j] = sortKey{binary.BigEndian.Uint64(sc[j].score[:8]), int32(j)}
			}
			slices.SortFunc(keys, func(a, b sortKey) int {
				if a.k != b.k {
					return cmp.Compare(a.k, b.k)
				}
				x, y := &sc[a.j], &sc[b.j]
				if c := bytes.Compare(x.score[:], y.score[:]); c != 0 {
					return c
				}
				return strings.Compare(d.Pool[x.i].Code, d.Pool[y.i].Code)
			})
			for _, key := range keys[:k] {
				chosen = append(chosen, sc[key.j])
			}
			continue
		}
		chosen = append(chosen, sc...)
	}
	slices.SortFunc(chosen, func(a, b scored) int { return cmp.Compare(a.i, b.i) }) // pool order is code order
	d.Selected = make([]Selected, len(chosen))
	for j, s := range chosen {
		p := d.Pool[s.i]
		d.Selected[j] = Selected{Code: p.Code, Class: p.Class, Score: hex.EncodeToString(s.score[:])}
	}
	return drawInspectors(d, key)
}

// scoreAll computes HMAC-SHA256(key, taskID + ":" + code) for the pool
// entries idx, on every core.
func scoreAll(key []byte, taskID string, pool []PoolEntry, idx []int32) []scored {
	out := make([]scored, len(idx))
	workers := runtime.GOMAXPROCS(0)
	if len(idx) < 4096 {
		workers = 1
	}
	chunk := (len(idx) + workers - 1) / workers
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		lo, hi := w*chunk, min((w+1)*chunk, len(idx))
		if lo >= hi {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := hmac.New(sha256.New, key)
			msg := make([]byte, 0, len(taskID)+64)
			msg = append(msg, taskID...)
			msg = append(msg, ':')
			n := len(msg)
			var sum []byte
			for j := lo; j < hi; j++ {
				i := idx[j]
				msg = append(msg[:n], pool[i].Code...)
				h.Reset()
				h.Write(msg)
				sum = h.Sum(sum[:0])
				out[j].i = i
				copy(out[j].score[:], sum)
			}
		}()
	}
	wg.Wait()
	return out
}

// drawInspectors draws d.InspectorsPerBusiness inspectors for every
// selected business: the eligible inspectors with the lowest
// HMAC-SHA256(key, task_id:code:inspector_code), ties by code. An
// inspector is not eligible for a business when a conflict is declared,
// when he or she inspected it the previous time, or, unless the task is a
// joint one, when he or she belongs to another department than the
// organising one. Fewer than the number wanted are drawn when not enough
// are eligible.
func drawInspectors(d *Draw, key []byte) error {
	if len(d.Selected) == 0 || len(d.InspectorPool) == 0 {
		for j := range d.Selected {
			d.Selected[j].Inspectors = []string{}
		}
		return nil
	}
	for i := 1; i < len(d.InspectorPool); i++ {
		if d.InspectorPool[i-1].Code >= d.InspectorPool[i].Code {
			return fmt.Errorf("inspection: inspector pool not sorted by code or duplicated at %q", d.InspectorPool[i].Code)
		}
	}
	banned := map[[2]string]bool{}
	for _, c := range d.Conflicts {
		banned[[2]string{c.Inspector, c.Code}] = true
	}
	for _, p := range d.Previous {
		for _, in := range p.Inspectors {
			banned[[2]string{in, p.Code}] = true
		}
	}
	var eligible []string
	for _, in := range d.InspectorPool {
		if d.JointRef != "" || in.Department == d.Department {
			eligible = append(eligible, in.Code)
		}
	}
	workers := runtime.GOMAXPROCS(0)
	if len(d.Selected) < 256 {
		workers = 1
	}
	chunk := (len(d.Selected) + workers - 1) / workers
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		lo, hi := w*chunk, min((w+1)*chunk, len(d.Selected))
		if lo >= hi {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := hmac.New(sha256.New, key)
			type cand struct {
				score [32]byte
				code  string
			}
			cands := make([]cand, 0, len(eligible))
			var msg, sum []byte
			for j := lo; j < hi; j++ {
				s := &d.Selected[j]
				msg = append(append(append(msg[:0], d.TaskID...), ':'), s.Code...)
				msg = append(msg, ':')
				n := len(msg)
				cands = cands[:0]
				for _, code := range eligible {
					if banned[[2]string{code, s.Code}] {
						continue
					}
					msg = append(msg[:n], code...)
					h.Reset()
					h.Write(msg)
					sum = h.Sum(sum[:0])
					var c cand
					copy(c.score[:], sum)
					c.code = code
					cands = append(cands, c)
				}
				// Keep the k lowest (score, then code) in order: k is 2.
				k := min(len(cands), d.InspectorsPerBusiness)
				for x := 0; x < k; x++ {
					best := x
					for y := x + 1; y < len(cands); y++ {
						if c := bytes.Compare(cands[y].score[:], cands[best].score[:]); c < 0 || (c == 0 && cands[y].code < cands[best].code) {
							best = y
						}
					}
					cands[x], cands[best] = cands[best], cands[x]
				}
				s.Inspectors = make([]string, 0, k)
				for _, c := range cands[:k] {
					s.Inspectors = append(s.Inspectors, c.code)
				}
			}
		}()
	}
	wg.Wait()
	return nil
}

// Recompute recomputes the published draw pub from its own content and
// returns nil when every computed value matches what is published, or an
// error naming the first mismatch.
func Recompute(pub *Draw) error {
	d := *pub
	d.Selected = nil
	if err := Compute(&d); err != nil {
		return err
	}
	if d.PoolHash != pub.PoolHash {
		return fmt.Errorf("pool_hash: published %s, recomputed %s", pub.PoolHash, d.PoolHash)
	}
	if d.Seed != pub.Seed {
		return fmt.Errorf("seed: published %s, recomputed %s", pub.Seed, d.Seed)
	}
	for i := 0; i < max(len(d.Selected), len(pub.Selected)); i++ {
		switch {
		case i >= len(pub.Selected):
			return fmt.Errorf("selected[%d]: %s (%s) should be drawn but is not published", i, d.Selected[i].Code, d.Selected[i].Class)
		case i >= len(d.Selected):
			return fmt.Errorf("selected[%d]: %s is published but should not be drawn", i, pub.Selected[i].Code)
		}
		got, want := pub.Selected[i], d.Selected[i]
		switch {
		case got.Code != want.Code:
			return fmt.Errorf("selected[%d].code: published %s, recomputed %s", i, got.Code, want.Code)
		case got.Class != want.Class:
			return fmt.Errorf("selected[%d].class (%s): published %s, recomputed %s", i, got.Code, got.Class, want.Class)
		case got.Score != want.Score:
			return fmt.Errorf("selected[%d].score (%s): published %s, recomputed %s", i, got.Code, got.Score, want.Score)
		case !slices.Equal(got.Inspectors, want.Inspectors):
			return fmt.Errorf("selected[%d].inspectors (%s): published %v, recomputed %v", i, got.Code, got.Inspectors, want.Inspectors)
		}
	}
	return nil
}
