package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"unicode"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/opentracing/opentracing-go"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/tracewrap/tracewrap/estrace"
)

// searchIndex holds the catalogue for full-text search; shared by every shop
// on the cluster (indexed idempotently by id).
const searchIndex = "shop-goods"

// newSearch connects to Elasticsearch through estrace (the one-line swap for
// elasticsearch.NewClient) and indexes the catalogue.
func newSearch(ctx context.Context, url string) (*elasticsearch.Client, error) {
	es, err := estrace.NewClient(elasticsearch.Config{Addresses: []string{url}})
	if err != nil {
		return nil, err
	}
	span, ctx := opentracing.StartSpanFromContext(ctx, "goods search setup")
	defer span.Finish()

	res, err := es.Indices.Exists([]string{searchIndex}, es.Indices.Exists.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("elasticsearch at %s: %w", url, err)
	}
	res.Body.Close()
	if res.StatusCode == http.StatusNotFound {
		mapping := `{"mappings":{"properties":{"name":{"type":"text"},"description":{"type":"text"},"price_cents":{"type":"integer"}}}}`
		res, err := es.Indices.Create(searchIndex, es.Indices.Create.WithContext(ctx),
			es.Indices.Create.WithBody(strings.NewReader(mapping)))
		if err != nil {
			return nil, fmt.Errorf("elasticsearch: create index: %w", err)
		}
		body, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
		res.Body.Close()
		// Another shop may have created it a moment ago.
		if res.IsError() && !bytes.Contains(body, []byte("resource_already_exists_exception")) {
			return nil, fmt.Errorf("elasticsearch: create index: %s: %s", res.Status(), body)
		}
	}
	var bulk bytes.Buffer
	for _, it := range catalogue {
		fmt.Fprintf(&bulk, `{"index":{"_index":%q,"_id":"%d"}}`+"\n", searchIndex, it.ID)
		doc, _ := json.Marshal(it)
		bulk.Write(doc)
		bulk.WriteByte('\n')
	}
	res, err = es.Bulk(&bulk, es.Bulk.WithContext(ctx), es.Bulk.WithRefresh("wait_for"))
	if err != nil {
		return nil, fmt.Errorf("elasticsearch: index catalogue: %w", err)
	}
	defer res.Body.Close()
	var summary struct {
		Errors bool `json:"errors"`
	}
	if res.IsError() || json.NewDecoder(res.Body).Decode(&summary) != nil || summary.Errors {
		return nil, fmt.Errorf("elasticsearch: index catalogue: %s", res.Status())
	}
	return es, nil
}

// Search runs the query on Elasticsearch (query_string syntax: `coffee AND
// grinder`, `name:kettle`). When Elasticsearch fails, for example on a query
// it cannot parse, the shop still answers: the words of the query are looked
// up in MySQL instead, and the answer says source=mysql. The failed request
// stays in the trace as an error span.
func (g *goods) Search(ctx context.Context, in *structpb.Struct) (*structpb.Struct, error) {
	q := str(in, "q")
	if strings.TrimSpace(q) == "" {
		return nil, status.Error(codes.InvalidArgument, "empty query")
	}
	source := "elasticsearch"
	hits, err := g.searchES(ctx, q)
	if err != nil {
		slog.WarnContext(ctx, "search failed; falling back to MySQL", "err", err)
		source = "mysql"
		if hits, err = g.searchSQL(ctx, q); err != nil {
			return nil, status.Errorf(codes.Internal, "search: %v", err)
		}
	}
	list := make([]any, len(hits))
	for i, h := range hits {
		list[i] = map[string]any{"id": h.ID, "name": h.Name, "price_cents": h.PriceCents}
	}
	return structpb.NewStruct(map[string]any{"source": source, "hits": list})
}

func (g *goods) searchES(ctx context.Context, q string) ([]item, error) {
	body, _ := json.Marshal(map[string]any{
		"query": map[string]any{"query_string": map[string]any{"query": q, "fields": []string{"name", "description"}}},
		"size":  10,
	})
	res, err := g.es.Search(g.es.Search.WithContext(ctx), g.es.Search.WithIndex(searchIndex),
		g.es.Search.WithBody(bytes.NewReader(body)))
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.IsError() {
		return nil, fmt.Errorf("elasticsearch: %s", res.Status())
	}
	var out struct {
		Hits struct {
			Hits []struct {
				Source item `json:"_source"`
			} `json:"hits"`
		} `json:"hits"`
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		return nil, fmt.Errorf("elasticsearch: %w", err)
	}
	items := make([]item, len(out.Hits.Hits))
	for i, h := range out.Hits.Hits {
		items[i] = h.Source
	}
	return items, nil
}

// searchSQL matches up to three words of the query against names and
// descriptions.
func (g *goods) searchSQL(ctx context.Context, q string) ([]item, error) {
	var conds []string
	var args []any
	for _, w := range strings.FieldsFunc(q, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		if w == "AND" || w == "OR" || w == "NOT" || len(conds) == 3 {
			continue
		}
		conds = append(conds, "name LIKE ? OR description LIKE ?")
		args = append(args, "%"+w+"%", "%"+w+"%")
	}
	if len(conds) == 0 {
		return nil, nil
	}
	rows, err := g.db.QueryContext(ctx,
		"SELECT id, name, price_cents FROM shop_goods WHERE "+strings.Join(conds, " OR ")+" ORDER BY id LIMIT 10", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var items []item
	for rows.Next() {
		var it item
		if err := rows.Scan(&it.ID, &it.Name, &it.PriceCents); err != nil {
			return nil, err
		}
		items = append(items, it)
	}
	return items, rows.Err()
}
