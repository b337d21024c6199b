-- What exact search costs PostgreSQL itself, before any Django: the least a search page can
-- take when its results must stay exactly as they are (every match counted, every match
-- ranked by ts_rank). A measurement, not part of the product.
--
-- Reproduce, on a database seeded by scripts/benchmark.py (make bench-all):
--
--     psql -h 127.0.0.1 -U postgres hindsight_bench_50k -v q='database:*' -f scripts/search_floor.sql
--     psql -h 127.0.0.1 -U postgres hindsight_bench_50k \
--         -v q='connection:* & pool:* & exhausted:*' -f scripts/search_floor.sql
--
-- q is the text-search query the search box makes of the words (core/search.py prefix_query):
-- every word, each also as a prefix. Each statement runs twice; read the second time (pages
-- cached). Timeline entries are the largest group a search ranks.

\timing on
SET max_parallel_workers_per_gather = 0;

\echo '1. How many timeline entries match, and on how many of the table''s pages'
SELECT count(*) AS matches,
       count(DISTINCT (ctid::text::point)[0]) AS heap_pages,
       (SELECT relpages FROM pg_class WHERE relname = 'incidents_timelineentry') AS table_pages
FROM incidents_timelineentry
WHERE search_vector @@ to_tsquery('english', :'q');

\echo '2. Counting them alone (the count a one-type page shows)'
SELECT count(*) FROM incidents_timelineentry WHERE search_vector @@ to_tsquery('english', :'q');
SELECT count(*) FROM incidents_timelineentry WHERE search_vector @@ to_tsquery('english', :'q');

\echo '3. Why: the GIN index finds the rows, then every matching heap page is read'
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)
SELECT count(*) FROM incidents_timelineentry WHERE search_vector @@ to_tsquery('english', :'q');

\echo '4. Counting and ranking every match (what the best five need under the ranking rules)'
SELECT count(*), max(ts_rank(search_vector, to_tsquery('english', :'q')))
FROM incidents_timelineentry WHERE search_vector @@ to_tsquery('english', :'q');
SELECT count(*), max(ts_rank(search_vector, to_tsquery('english', :'q')))
FROM incidents_timelineentry WHERE search_vector @@ to_tsquery('english', :'q');

\echo '5. An approximation, for comparison: the best five of the newest 2,000 matches only'
\echo '   (first the exact best five, then the approximation''s; compare the ids)'
WITH matches AS MATERIALIZED (
    SELECT id, ts_rank(search_vector, to_tsquery('english', :'q')) AS rank
    FROM incidents_timelineentry WHERE search_vector @@ to_tsquery('english', :'q')
)
SELECT array_agg(id) AS exact_best_five
FROM (SELECT id FROM matches ORDER BY rank DESC, id DESC LIMIT 5) AS best;
SELECT array_agg(id) AS newest_2000s_best_five
FROM (SELECT id FROM (SELECT id, search_vector FROM incidents_timelineentry
                      WHERE search_vector @@ to_tsquery('english', :'q')
                      ORDER BY id DESC LIMIT 2000) AS newest
      ORDER BY ts_rank(search_vector, to_tsquery('english', :'q')) DESC, id DESC LIMIT 5) AS best;
SELECT array_agg(id) AS newest_2000s_best_five
FROM (SELECT id FROM (SELECT id, search_vector FROM incidents_timelineentry
                      WHERE search_vector @@ to_tsquery('english', :'q')
                      ORDER BY id DESC LIMIT 2000) AS newest
      ORDER BY ts_rank(search_vector, to_tsquery('english', :'q')) DESC, id DESC LIMIT 5) AS best;
