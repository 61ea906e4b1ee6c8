from __future__ import annotations

import codecs
import io
import zipfile
from datetime import UTC, datetime

import pytest

from scraping.sources.errors import UploadRejected
from scraping.sources.records import HistoryKind
from scraping.sources.x_archive import ArchiveLimits, parse_x_archive
from tests.scraping.sources.archive_builder import (
    ACCOUNT_EMAIL,
    build_archive,
    patch_entry,
    standard_files,
    tweet,
    ytd,
)


def with_files(changes: dict[str, str | bytes | None]) -> bytes:
    """The standard archive with some files replaced (or removed, with None)."""
    files: dict[str, str | bytes] = standard_files()
    for path, content in changes.items():
        if content is None:
            files.pop(path)
        else:
            files[path] = content
    return build_archive(files)


def test_reads_account_history_likes_and_follows():
    progress = []

    bundle = parse_x_archive(build_archive(standard_files()), progress=lambda *event: progress.append(event))

    account = bundle.account
    assert (account.platform, account.platform_id, account.handle, account.display_name) == (
        "x",
        "12",
        "jack",
        "Jack",
    )
    assert (account.bio, account.location, account.url) == ("Building things", "Earth", "https://t.co/site")
    assert account.created_at == datetime(2006, 3, 21, 20, 50, 14, tzinfo=UTC)
    assert (account.following_count, account.followers_count) == (1, 2)
    post, reply, repost, quote, photo, like, like_with_author = bundle.history
    assert (post.kind, post.text, post.like_count, post.repost_count) == (
        HistoryKind.POST,
        "Fish & chips <3 #friday",
        3,
        1,
    )
    assert post.created_at == datetime(2018, 10, 10, 20, 19, 24, tzinfo=UTC)
    assert (reply.kind, reply.text, reply.target_id, reply.target_author) == (
        HistoryKind.REPLY,
        "@alice I agree https://example.com/article",
        "900",
        "alice",
    )
    assert (repost.kind, repost.text, repost.target_author, repost.target_text) == (
        HistoryKind.REPOST,
        "",
        "bob",
        "Big news & more",
    )
    assert (quote.kind, quote.text, quote.target_id, quote.target_author) == (
        HistoryKind.QUOTE,
        "So true",
        "555",
        "carol",
    )
    assert (photo.kind, photo.text, photo.language, photo.media) == (
        HistoryKind.POST,
        "Sunset",
        "",
        ("https://pbs.twimg.com/media/sunset.jpg",),
    )
    assert (like.kind, like.target_id, like.target_author, like.target_text) == (
        HistoryKind.LIKE,
        "700",
        "",
        "Liked & loved",
    )
    assert like_with_author.target_author == "dave"
    assert [follow.platform_id for follow in bundle.following] == ["77"]
    assert [follow.platform_id for follow in bundle.followers] == ["78", "79"]
    assert bundle.notes == []
    assert progress[0] == (0, None, "Checking the archive") and progress[-1][0] == progress[-1][1]


def test_the_email_address_is_never_kept():
    bundle = parse_x_archive(build_archive(standard_files()))

    assert ACCOUNT_EMAIL not in repr(bundle)


def test_duplicate_tweet_ids_are_kept_once_with_a_note():
    archive = with_files(
        {"data/tweets-part1.js": ytd("tweets", [tweet("101", "again"), tweet("106", "new")], part=1)}
    )

    bundle = parse_x_archive(archive)

    posts = [record for record in bundle.history if record.kind is not HistoryKind.LIKE]
    assert [record.platform_id for record in posts] == ["101", "102", "103", "106"]
    assert posts[0].text.startswith("Fish")
    assert bundle.notes == ["Skipped 1 posts that appear more than once in the archive."]


def test_old_archives_with_tweet_js_at_the_root_are_read():
    files = {
        "account.js": ytd("account", [{"account": {"accountId": "1", "username": "old"}}]),
        "tweet.js": ytd("tweet", [tweet("5", "from 2019")]),
    }

    bundle = parse_x_archive(build_archive(files))

    assert bundle.account.handle == "old" and bundle.history[0].text == "from 2019"


def test_a_re_zipped_archive_inside_a_folder_is_read():
    files = {f"twitter-2024/{name}": content for name, content in standard_files().items()}

    assert parse_x_archive(build_archive(files)).account.handle == "jack"


def test_accepts_a_path_and_a_file_object(tmp_path):
    data = build_archive(standard_files())
    path = tmp_path / "archive.zip"
    path.write_bytes(data)

    assert parse_x_archive(path).account.handle == "jack"
    assert parse_x_archive(io.BytesIO(data)).account.handle == "jack"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"%PDF-1.7 not a zip at all", "not a zip archive"),
        (b"", "not a zip archive"),
        (b'window.YTD.tweets.part0 = [{"tweet": {}}]', "single file from inside an X archive"),
    ],
)
def test_not_a_zip(content, message):
    with pytest.raises(UploadRejected, match=message):
        parse_x_archive(content)


def test_an_upload_over_the_limit_is_refused_before_it_is_opened(tmp_path):
    data = build_archive(standard_files())
    limits = ArchiveLimits(max_upload_bytes=len(data) - 1)
    path = tmp_path / "big.zip"
    path.write_bytes(data)

    for source in (data, path, io.BytesIO(data)):
        with pytest.raises(UploadRejected, match="The archive is .* MB; the limit is"):
            parse_x_archive(source, limits=limits)


def test_a_highly_compressed_entry_is_refused_as_a_zip_bomb():
    bomb = ytd("tweets", []) + " " * 30_000_000
    archive = with_files({"data/tweets.js": bomb})

    with pytest.raises(UploadRejected, match="data/tweets.js in the archive is compressed suspiciously well"):
        parse_x_archive(archive)


def test_an_archive_that_would_unpack_too_large_is_refused():
    archive = with_files({"data/like.js": ytd("like", []) + " " * 5000})

    with pytest.raises(UploadRejected, match="zip bomb"):
        parse_x_archive(archive, limits=ArchiveLimits(max_declared_total_bytes=4000))


def test_data_files_larger_than_we_read_are_refused():
    with pytest.raises(UploadRejected, match="data files add up to"):
        parse_x_archive(build_archive(standard_files()), limits=ArchiveLimits(max_read_bytes=1000))


def test_too_many_entries_are_refused():
    files = {**standard_files(), **{f"data/tweets_media/{n}.jpg": b"x" for n in range(20)}}

    with pytest.raises(UploadRejected, match="has 29 files, more than the 10"):
        parse_x_archive(build_archive(files), limits=ArchiveLimits(max_entries=10))


def test_an_entry_larger_than_its_header_says_is_never_trusted():
    likes = ytd("like", []) + " " * 200
    honest = build_archive({**standard_files(), "data/like.js": likes}, compression=zipfile.ZIP_STORED)
    lying = patch_entry(honest, "data/like.js", file_size=len(likes) - 100)

    with pytest.raises(UploadRejected, match="data/like.js in the archive is damaged"):
        parse_x_archive(lying)


@pytest.mark.parametrize(
    "name", ["../evil.js", "/etc/passwd", "data/../../evil.js", "C:\\evil.js", "..\\evil.js"]
)
def test_path_traversal_entries_are_refused(name):
    archive = build_archive({**standard_files(), name: "x"})

    with pytest.raises(UploadRejected, match="unsafe file path"):
        parse_x_archive(archive)


def test_duplicate_entries_are_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in standard_files().items():
            archive.writestr(name, content)
        with pytest.warns(UserWarning, match="Duplicate name"):
            archive.writestr("data/tweets.js", ytd("tweets", [tweet("1", "sneaky")]))

    with pytest.raises(UploadRejected, match="contains 'data/tweets.js' twice"):
        parse_x_archive(buffer.getvalue())


def test_encrypted_entries_are_refused():
    archive = patch_entry(build_archive(standard_files()), "data/tweets.js", flag_bits=0x1)

    with pytest.raises(UploadRejected, match="data/tweets.js in the archive is password-protected"):
        parse_x_archive(archive)


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        (["data/account.js"], "no data/account.js"),
        (["data/tweets.js", "data/tweets-part1.js"], "no data/tweets.js"),
    ],
)
def test_missing_required_files(missing, message):
    with pytest.raises(UploadRejected, match=message):
        parse_x_archive(with_files(dict.fromkeys(missing)))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            'var tweets = [{"tweet": {}}]',
            r"data/tweets.js is not in X's archive format: it should start with 'window.YTD.tweets.part0 = \['",
        ),
        ('[{"tweet": {}}]', "not in X's archive format"),
        ("window.YTD.like.part0 = []", "holds X's 'like' data instead of 'tweets'"),
        ('window.YTD.tweets.part0 = {"tweet": 1}', "should hold a JSON list"),
        ("window.YTD.tweets.part0 = []; alert(1)", "unexpected text after its data, at line 1"),
    ],
)
def test_wrong_wrappers(content, message):
    with pytest.raises(UploadRejected, match=message):
        parse_x_archive(with_files({"data/tweets.js": content}))


def test_malformed_json_names_file_line_and_column():
    broken = 'window.YTD.tweets.part0 = [\n  {\n    "tweet" : {\n      "id_str" : "1",\n      "full_text" : "oops"\n      "lang" : "en"\n'

    with pytest.raises(
        UploadRejected,
        match=r"data/tweets.js is damaged: invalid JSON at line 6, column 7 \(Expecting ',' delimiter\)",
    ):
        parse_x_archive(with_files({"data/tweets.js": broken}))


def test_items_without_required_fields_are_named():
    with pytest.raises(UploadRejected, match=r"data/tweets.js: item 2 has no 'id_str'"):
        parse_x_archive(
            with_files(
                {"data/tweets.js": ytd("tweets", [tweet("1", "ok"), {"tweet": {"full_text": "no id"}}])}
            )
        )
    with pytest.raises(UploadRejected, match=r"data/like.js: item 1 has no 'like' object"):
        parse_x_archive(with_files({"data/like.js": ytd("like", [{"liked": {}}])}))
    with pytest.raises(UploadRejected, match="unreadable created_at date"):
        parse_x_archive(
            with_files({"data/tweets.js": ytd("tweets", [tweet("1", "x", created_at="yesterday")])})
        )


def test_a_utf8_byte_order_mark_is_accepted():
    content = codecs.BOM_UTF8 + ytd("tweets", [tweet("1", "café")]).encode()

    bundle = parse_x_archive(with_files({"data/tweets.js": content, "data/tweets-part1.js": None}))

    assert [record.text for record in bundle.history if record.kind is HistoryKind.POST] == ["café"]


def line_of_full_text(text: str) -> int:
    return text[: text.index('"full_text"')].count("\n") + 1


TWEETS_JS = ytd("tweets", [tweet("1", "caf\xe9")])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (TWEETS_JS.encode("utf-16"), "encoded as UTF-16"),
        (TWEETS_JS.encode("utf-16-le"), "looks like UTF-16"),
        (TWEETS_JS.encode("utf-32"), "encoded as UTF-32"),
        (TWEETS_JS.encode("latin-1"), rf"not valid UTF-8: byte \d+ on line {line_of_full_text(TWEETS_JS)}\b"),
        (
            TWEETS_JS.encode().replace("é".encode(), b"\x00"),
            rf"NUL byte .* on line {line_of_full_text(TWEETS_JS)};",
        ),
    ],
)
def test_wrong_encodings_and_nul_bytes(content, message):
    with pytest.raises(UploadRejected, match=message):
        parse_x_archive(with_files({"data/tweets.js": content}))
