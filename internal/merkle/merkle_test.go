package merkle_test

import (
	"encoding/hex"
	"errors"
	"fmt"
	"testing"

	"github.com/yingshang/yingshang/internal/merkle"
)

// The test vectors published with the certificate-transparency reference
// implementations (transparency-dev/merkle, proof/verify_test.go): eight
// leaves, the roots of their first 1..8, and audit and consistency paths.
var (
	leafData = []string{"", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"}
	roots    = []string{
		"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
		"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
		"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
		"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
		"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
		"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
		"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
		"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
	}
	inclusion = []struct {
		leaf, size int // leaf counted from 1, as in the source
		path       []string
	}{
		{1, 1, nil},
		{1, 8, []string{"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
			"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
			"6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
		{6, 8, []string{"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
			"ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
			"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
		{3, 3, []string{"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"}},
		{2, 5, []string{"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
			"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
			"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
	}
	consistency = []struct {
		size1, size2 int
		path         []string
	}{
		{1, 1, nil},
		{1, 8, []string{"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
			"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
			"6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
		{6, 8, []string{"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
			"ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
			"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
		{2, 5, []string{"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
			"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
		{6, 7, []string{"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
			"b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
			"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
	}
)

func leaves(t testing.TB) []merkle.Hash {
	var hs []merkle.Hash
	for _, d := range leafData {
		b, err := hex.DecodeString(d)
		if err != nil {
			t.Fatal(err)
		}
		hs = append(hs, merkle.LeafHash(b))
	}
	return hs
}

func hashes(t testing.TB, ss []string) []merkle.Hash {
	var hs []merkle.Hash
	for _, s := range ss {
		h, err := merkle.ParseHash(s)
		if err != nil {
			t.Fatal(err)
		}
		hs = append(hs, h)
	}
	return hs
}

func TestRoots(t *testing.T) {
	ls := leaves(t)
	if got := merkle.Root(nil).String(); got != "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" {
		t.Errorf("empty root %s", got)
	}
	f, _ := merkle.NewFrontier(0, nil)
	for n := 1; n <= len(ls); n++ {
		f.Append(ls[n-1])
		if got := merkle.Root(ls[:n]).String(); got != roots[n-1] {
			t.Errorf("root of %d leaves = %s, want %s", n, got, roots[n-1])
		}
		if got := f.Root().String(); got != roots[n-1] {
			t.Errorf("frontier root of %d leaves = %s, want %s", n, got, roots[n-1])
		}
		g, err := merkle.NewFrontier(f.Size(), f.Nodes())
		if err != nil || g.Root() != f.Root() {
			t.Errorf("frontier of %d rebuilt: %v", n, err)
		}
	}
	if _, err := merkle.NewFrontier(7, hashes(t, roots[:2])); err == nil {
		t.Error("frontier of 7 leaves with 2 nodes accepted")
	}
}

func TestInclusionVectors(t *testing.T) {
	ls := leaves(t)
	for _, v := range inclusion {
		got, err := merkle.InclusionProof(ls[:v.size], v.leaf-1)
		if err != nil || fmt.Sprint(got) != fmt.Sprint(hashes(t, v.path)) {
			t.Errorf("path of leaf %d in %d: %v %v, want %v", v.leaf, v.size, got, err, v.path)
		}
		root := hashes(t, roots[v.size-1:v.size])[0]
		if err := merkle.VerifyInclusion(uint64(v.leaf-1), uint64(v.size), ls[v.leaf-1], got, root); err != nil {
			t.Errorf("verify leaf %d in %d: %v", v.leaf, v.size, err)
		}
	}
}

func TestConsistencyVectors(t *testing.T) {
	ls := leaves(t)
	for _, v := range consistency {
		got, err := merkle.ConsistencyProof(ls[:v.size2], v.size1)
		if err != nil || fmt.Sprint(got) != fmt.Sprint(hashes(t, v.path)) {
			t.Errorf("proof %d→%d: %v %v, want %v", v.size1, v.size2, got, err, v.path)
		}
		r1, r2 := hashes(t, roots[v.size1-1:v.size1])[0], hashes(t, roots[v.size2-1:v.size2])[0]
		if err := merkle.VerifyConsistency(uint64(v.size1), uint64(v.size2), r1, r2, got); err != nil {
			t.Errorf("verify %d→%d: %v", v.size1, v.size2, err)
		}
	}
}

// Every proof between trees of up to 40 leaves verifies, and every
// mutation of one (other index, other size, flipped bit, dropped or added
// hash, other root) is refused.
func TestProofsExhaustive(t *testing.T) {
	var ls []merkle.Hash
	for i := range 40 {
		ls = append(ls, merkle.LeafHash([]byte{byte(i), 'x'}))
	}
	bad := func(kind string, err error) {
		t.Helper()
		if !errors.Is(err, merkle.ErrProof) {
			t.Fatalf("%s: err %v, want ErrProof", kind, err)
		}
	}
	for n := 1; n <= len(ls); n++ {
		root := merkle.Root(ls[:n])
		for i := range n {
			p, err := merkle.InclusionProof(ls[:n], i)
			if err != nil {
				t.Fatal(err)
			}
			if err := merkle.VerifyInclusion(uint64(i), uint64(n), ls[i], p, root); err != nil {
				t.Fatalf("leaf %d of %d: %v", i, n, err)
			}
			if n > 1 {
				bad("other index", merkle.VerifyInclusion(uint64((i+1)%n), uint64(n), ls[i], p, root))
				bad("other leaf", merkle.VerifyInclusion(uint64(i), uint64(n), ls[(i+1)%n], p, root))
				q := append([]merkle.Hash(nil), p...)
				q[len(q)/2][3] ^= 4
				bad("flipped bit", merkle.VerifyInclusion(uint64(i), uint64(n), ls[i], q, root))
				bad("dropped hash", merkle.VerifyInclusion(uint64(i), uint64(n), ls[i], p[:len(p)-1], root))
			}
			bad("added hash", merkle.VerifyInclusion(uint64(i), uint64(n), ls[i], append(p, root), root))
			bad("index beyond", merkle.VerifyInclusion(uint64(n), uint64(n), ls[i], p, root))
		}
		for m := 1; m <= n; m++ {
			old := merkle.Root(ls[:m])
			p, err := merkle.ConsistencyProof(ls[:n], m)
			if err != nil {
				t.Fatal(err)
			}
			if err := merkle.VerifyConsistency(uint64(m), uint64(n), old, root, p); err != nil {
				t.Fatalf("consistency %d→%d: %v", m, n, err)
			}
			if m == n {
				continue
			}
			bad("other old root", merkle.VerifyConsistency(uint64(m), uint64(n), root, root, p))
			bad("other new root", merkle.VerifyConsistency(uint64(m), uint64(n), old, old, p))
			q := append([]merkle.Hash(nil), p...)
			q[0][0] ^= 16
			bad("flipped bit", merkle.VerifyConsistency(uint64(m), uint64(n), old, root, q))
			bad("truncated", merkle.VerifyConsistency(uint64(m), uint64(n), old, root, p[:len(p)-1]))
			bad("extended", merkle.VerifyConsistency(uint64(m), uint64(n), old, root, append(p, old)))
			bad("time travel", merkle.VerifyConsistency(uint64(n), uint64(m), root, old, p))
		}
	}
}
