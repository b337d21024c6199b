from postmortems.diff import diff_sections, diff_text


def test_similar_lines_are_diffed_word_by_word():
    [line] = diff_text("The cache expired early.", "The cache expired late.")
    assert line.kind == "change"
    assert ("delete", "early") in line.segments and ("insert", "late") in line.segments


def test_rewritten_lines_read_as_removed_and_added():
    lines = diff_text("<!-- prompt -->", "A completely new sentence.")
    assert [(line.kind, line.segments) for line in lines] == [
        ("delete", [("delete", "<!-- prompt -->")]),
        ("insert", [("insert", "A completely new sentence.")]),
    ]


def test_unchanged_lines_are_kept_for_context():
    lines = diff_text("one\ntwo\nthree", "one\ntwo\nthree\nfour")
    assert [line.kind for line in lines] == ["equal", "equal", "equal", "insert"]


def test_only_changed_sections_are_listed_in_document_order():
    changes = diff_sections(
        {"summary": "a", "impact": "b", "lessons_learned": "c"},
        {"summary": "a", "impact": "B", "lessons_learned": "C"},
    )
    assert [change.section.field for change in changes] == ["impact", "lessons_learned"]
