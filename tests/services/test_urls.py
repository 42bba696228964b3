"""Listing URL canonicalisation, built on the shipped platforms.yaml."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest
import requests.adapters
import tldextract

from app.content.platforms import Platform, PlatformCatalogue, build_tld_extractor, load_platforms
from app.services.urls import (
    ERROR_CODES,
    MAX_URL_LENGTH,
    CanonicalURL,
    InvalidListingURL,
    canonicalize,
    extract_url,
    recognise_platform,
)

PLATFORMS_YAML = Path(__file__).resolve().parents[2] / "training_content" / "platforms.yaml"


@pytest.fixture(scope="module")
def catalogue() -> PlatformCatalogue:
    return load_platforms(PLATFORMS_YAML)


# (input, canonical URL, platform id, listing id)
TABLE: list[tuple[str, str, str | None, str | None]] = [
    # eBay: country sites keep their domain; titles, tracking and mobile hosts do not matter.
    ("https://www.ebay.co.uk/itm/Carved-figurine/1234567890?hash=item1&_trksid=p2047675.c100011",
     "https://ebay.co.uk/itm/1234567890", "ebay", "1234567890"),
    ("http://ebay.co.uk/itm/1234567890", "https://ebay.co.uk/itm/1234567890", "ebay", "1234567890"),
    ("https://m.ebay.de/itm/325678901234?mkevt=1&mkcid=16&_trkparms=ispr%3D1",
     "https://ebay.de/itm/325678901234", "ebay", "325678901234"),
    ("https://www.ebay.com/itm/like/225678901234", "https://ebay.com/itm/225678901234", "ebay", "225678901234"),
    ("https://cgi.ebay.com/ws/eBayISAPI.dll?ViewItem&item=110123456789",
     "https://ebay.com/itm/110123456789", "ebay", "110123456789"),
    ("https://WWW.EBAY.COM.AU:443/itm/145678901234#description",
     "https://ebay.com.au/itm/145678901234", "ebay", "145678901234"),
    ("www.ebay.com/itm/123456789012", "https://ebay.com/itm/123456789012", "ebay", "123456789012"),
    # A search page of a known platform: tracking dropped, the rest sorted, no listing id.
    ("https://www.ebay.com/sch/i.html?_sacat=0&_nkw=ivory+carving&_trksid=p1&utm_source=x",
     "https://ebay.com/sch/i.html?_nkw=ivory+carving&_sacat=0", "ebay", None),
    # Etsy, with its locale prefixes.
    ("https://www.etsy.com/listing/1234567890/vintage-bone-carving?ref=hp_rv-1&pro=1&frs=1",
     "https://etsy.com/listing/1234567890", "etsy", "1234567890"),
    ("https://www.etsy.com/uk/listing/987654321/antique-netsuke?click_key=abc&click_sum=def&ga_search_query=x",
     "https://etsy.com/listing/987654321", "etsy", "987654321"),
    ("https://www.etsy.com/de-en/listing/555555555", "https://etsy.com/listing/555555555", "etsy", "555555555"),
    # Facebook Marketplace and group posts.
    ("https://www.facebook.com/marketplace/item/1234567890123456/?ref=search&referral_code=marketplace_search&__tn__=!%3AD",
     "https://facebook.com/marketplace/item/1234567890123456", "facebook", "1234567890123456"),
    ("https://m.facebook.com/marketplace/item/1234567890123456?mibextid=6ojiHh",
     "https://facebook.com/marketplace/item/1234567890123456", "facebook", "1234567890123456"),
    ("https://web.facebook.com/groups/reptilesforsale/permalink/987654321012345/",
     "https://facebook.com/groups/reptilesforsale/posts/987654321012345", "facebook", "987654321012345"),
    # Instagram posts and reels share one id space.
    ("https://www.instagram.com/p/CxYz123AbC_/?igsh=MTc4MmM1YmI2Ng==",
     "https://instagram.com/p/CxYz123AbC_", "instagram", "CxYz123AbC_"),
    ("https://instagram.com/reel/C7aBcDeFgHi/?utm_source=ig_web_copy_link&igshid=abc",
     "https://instagram.com/p/C7aBcDeFgHi", "instagram", "C7aBcDeFgHi"),
    # TikTok: the handle can change, the id does not.
    ("https://www.tiktok.com/@reptile.shop/video/7234567890123456789?is_from_webapp=1&sender_device=pc&_r=1&_t=8abc",
     "https://tiktok.com/@/video/7234567890123456789", "tiktok", "7234567890123456789"),
    ("https://m.tiktok.com/v/7234567890123456789.html?u_code=abc",
     "https://tiktok.com/@/video/7234567890123456789", "tiktok", "7234567890123456789"),
    # Alibaba Group: the id lives in the query on Taobao, Tmall and Xianyu.
    ("https://item.taobao.com/item.htm?spm=a230r.1.14.1&id=680123456789&ns=1&abbucket=5",
     "https://item.taobao.com/item.htm?id=680123456789", "taobao", "680123456789"),
    ("https://h5.m.taobao.com/awp/core/detail.htm?id=680123456789&ut_sk=1.abc",
     "https://item.taobao.com/item.htm?id=680123456789", "taobao", "680123456789"),
    ("https://detail.tmall.com/item.htm?id=612345678901&skuId=4987&spm=a1z10",
     "https://detail.tmall.com/item.htm?id=612345678901", "tmall", "612345678901"),
    ("https://www.goofish.com/item?spm=a21ybx.item&id=765432109876&categoryId=1",
     "https://goofish.com/item?id=765432109876", "xianyu", "765432109876"),
    ("https://www.aliexpress.com/item/1005001234567890.html?spm=a2g0o.productlist.main.1&algo_pvid=abc&aff_fcid=x&aff_platform=link",
     "https://aliexpress.com/item/1005001234567890.html", "aliexpress", "1005001234567890"),
    ("https://fr.aliexpress.com/item/1005001234567890.html?gatewayAdapt=glo2fra",
     "https://aliexpress.com/item/1005001234567890.html", "aliexpress", "1005001234567890"),
    ("https://www.alibaba.com/product-detail/Carved-Resin-Figurine_1600123456789.html?spm=a2700.galleryofferlist",
     "https://alibaba.com/product-detail/_1600123456789.html", "alibaba", "1600123456789"),
    ("https://detail.1688.com/offer/623456789012.html?spm=a26352.13672862",
     "https://detail.1688.com/offer/623456789012.html", "1688", "623456789012"),
    # European classifieds.
    ("https://www.leboncoin.fr/ad/animaux/2456789012?xtor=AD-123",
     "https://leboncoin.fr/ad/animaux/2456789012", "leboncoin", "2456789012"),
    ("https://www.leboncoin.fr/animaux/2456789012.htm",
     "https://leboncoin.fr/ad/animaux/2456789012", "leboncoin", "2456789012"),
    ("https://www.kleinanzeigen.de/s-anzeige/koenigspython-nachzucht/2567890123-134-3331?utm_source=whatsapp&utm_campaign=socialbuttons",
     "https://kleinanzeigen.de/s-anzeige/2567890123", "kleinanzeigen", "2567890123"),
    ("https://www.ebay-kleinanzeigen.de/s-anzeige/graupapagei/1987654321-134-1234",
     "https://kleinanzeigen.de/s-anzeige/1987654321", "kleinanzeigen", "1987654321"),
    ("https://www.markt.de/berlin/tiermarkt/bartagamen/a/1a2b3c4d/",
     "https://markt.de/berlin/tiermarkt/bartagamen/a/1a2b3c4d", "markt-de", "1a2b3c4d"),
    ("https://www.terraristik.com/tb/buy-and-sell/all-herp-ads/a123456/",
     "https://terraristik.com/tb/buy-and-sell/all-herp-ads/a123456", "terraristik", "123456"),
    ("https://www.preloved.co.uk/adverts/show/123084717/celestial-parrotlets?link=search",
     "https://preloved.co.uk/adverts/show/123084717", "preloved", "123084717"),
    ("https://www.gumtree.com/p/reptiles/royal-python-for-sale/1471234567?utm_campaign=socialbuttons",
     "https://gumtree.com/p/reptiles/royal-python-for-sale/1471234567", "gumtree", "1471234567"),
    ("https://www.gumtree.com.au/s-ad/sydney/reptiles/carpet-python/1312345678",
     "https://gumtree.com.au/s-ad/sydney/reptiles/carpet-python/1312345678", "gumtree", "1312345678"),
    # US and international marketplaces.
    ("https://www.pinterest.co.uk/pin/123456789012345678/?mt=login",
     "https://pinterest.com/pin/123456789012345678", "pinterest", "123456789012345678"),
    ("https://poshmark.com/listing/Vintage-Tortoiseshell-Comb-5f1a2b3c4d5e6f7a8b9c0d1e?srsltid=abc",
     "https://poshmark.com/listing/5f1a2b3c4d5e6f7a8b9c0d1e", "poshmark", "5f1a2b3c4d5e6f7a8b9c0d1e"),
    ("https://offerup.com/item/detail/6b0c3c9e-2f1e-4b2a-9a53-1c2d3e4f5a6b?cid=share",
     "https://offerup.com/item/detail/6b0c3c9e-2f1e-4b2a-9a53-1c2d3e4f5a6b", "offerup",
     "6b0c3c9e-2f1e-4b2a-9a53-1c2d3e4f5a6b"),
    ("https://www.rubylane.com/item/1341942-SC1030/Antique-19th-C-Folk-Art-Silk?t=b6ddeab0&search=1",
     "https://rubylane.com/item/1341942-SC1030", "rubylane", "1341942-SC1030"),
    ("https://www.barnebys.com/auctions/lot/f-clark-oil-painting-of-bridge-gGZS28C-629739503?utm_source=x",
     "https://barnebys.com/auctions/lot/629739503", "barnebys", "629739503"),
    ("https://page.auctions.yahoo.co.jp/jp/auction/x123456789",
     "https://page.auctions.yahoo.co.jp/jp/auction/x123456789", "yahoo-japan-auctions", "x123456789"),
    ("https://youtu.be/dQw4w9WgXcQ?si=AbCdEfGh", "https://youtube.com/watch?v=dQw4w9WgXcQ", "youtube", "dQw4w9WgXcQ"),
    ("https://m.youtube.com/watch?v=dQw4w9WgXcQ&feature=share&t=42",
     "https://youtube.com/watch?v=dQw4w9WgXcQ", "youtube", "dQw4w9WgXcQ"),
    # Chinese social networks and classifieds.
    ("https://mp.weixin.qq.com/s/AbCdEfGhIjKlMnOp?scene=1&key=secret&uin=MTIz",
     "https://mp.weixin.qq.com/s/AbCdEfGhIjKlMnOp", "wechat", "AbCdEfGhIjKlMnOp"),
    ("https://weibo.com/1234567890/NaBcDeFgH", "https://m.weibo.cn/status/NaBcDeFgH", "weibo", "NaBcDeFgH"),
    ("https://bj.58.com/chongwu/45123456789012x.shtml?psid=1&entinfo=2",
     "https://bj.58.com/chongwu/45123456789012x.shtml", "58com", "45123456789012"),
    # Known platform, no listing recognised; m.me is a domain of its own, not "me" with m.
    ("https://m.me/reptileseller?ref=shop", "https://m.me/reptileseller", "facebook", None),
    # Unknown platforms: the generic rules alone.
    ("https://Bücher.de/Natur/Elfenbein?utm_medium=social&b=2&a=1",
     "https://xn--bcher-kva.de/Natur/Elfenbein?a=1&b=2", None, None),
    ("https://BÜCHER.DE./Natur/Elfenbein?b=2&a=1", "https://xn--bcher-kva.de/Natur/Elfenbein?a=1&b=2", None, None),
    ("HTTP://WWW.EXAMPLE-REPTILES.COM:80/Shop/Item/?z=1&a=2&a=1#top",
     "https://example-reptiles.com/Shop/Item?a=2&a=1&z=1", None, None),
    ("https://shop.example.org:8443/x/", "https://shop.example.org:8443/x", None, None),
    ("https://mobile.example.co.uk/ad/5", "https://example.co.uk/ad/5", None, None),
    ("https://example.org/%7euser/a%2fb/%c3%a9t%C3%A9/", "https://example.org/~user/a%2Fb/%C3%A9t%C3%A9", None, None),
    ("https://example.org/tienda/pangolín?q=écaille", "https://example.org/tienda/pangol%C3%ADn?q=%C3%A9caille", None, None),
    ("https://example.org/a/./b/../c//", "https://example.org/a/c", None, None),
    ("https://Example.org", "https://example.org/", None, None),
    ("https://example.org/?&", "https://example.org/", None, None),
    ("https://shop.example.net/item/9?fbclid=abc&gclid=x&UTM_Source=y&mc_eid=z&color=red",
     "https://shop.example.net/item/9?color=red", None, None),
    ("https://shop.example.net/item/9;jsessionid=ABC123?x=1", "https://shop.example.net/item/9?x=1", None, None),
    ("https://例子.中国/商品", "https://xn--fsqu00a.xn--fiqs8s/%E5%95%86%E5%93%81", None, None),
    ("//example.org/path", "https://example.org/path", None, None),
    ("example.org:8080/path", "https://example.org:8080/path", None, None),
    ("http://93.184.216.34/listing?id=5", "https://93.184.216.34/listing?id=5", None, None),
    ("https://[2606:4700:4700:0:0:0:0:1111]:443/x", "https://[2606:4700:4700::1111]/x", None, None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("url", "expected", "platform_id", "listing_id"), TABLE, ids=[row[0][:70] for row in TABLE]
)
def test_canonical_table(
    catalogue: PlatformCatalogue, url: str, expected: str, platform_id: str | None, listing_id: str | None
) -> None:
    result = canonicalize(url, catalogue)
    assert result.canonical_url == expected
    assert result.platform_id == platform_id
    assert result.listing_id == listing_id
    if platform_id is not None:
        assert result.platform_name == catalogue.get(platform_id).name  # type: ignore[union-attr]
    else:
        assert result.platform_name is None


def test_table_is_wide_enough() -> None:
    assert len(TABLE) >= 40
    assert len({row[2] for row in TABLE if row[2]}) >= 15


@pytest.mark.parametrize("row", TABLE, ids=[row[0][:70] for row in TABLE])
def test_canonical_form_is_stable(
    catalogue: PlatformCatalogue, row: tuple[str, str, str | None, str | None]
) -> None:
    """A canonical URL canonicalises to itself, with the same platform and listing id."""
    _url, expected, platform_id, listing_id = row
    again = canonicalize(expected, catalogue)
    assert (again.canonical_url, again.platform_id, again.listing_id) == (expected, platform_id, listing_id)


def test_fields(catalogue: PlatformCatalogue) -> None:
    url = "  https://www.ebay.co.uk/itm/Carved-figurine/1234567890?hash=item1  "
    result = canonicalize(url, catalogue)
    assert result == CanonicalURL(
        canonical_url="https://ebay.co.uk/itm/1234567890",
        original_url=url.strip(),
        host="ebay.co.uk",
        registrable_domain="ebay.co.uk",
        platform_id="ebay",
        platform_name="eBay",
        listing_id="1234567890",
    )
    taobao = canonicalize("https://h5.m.taobao.com/awp/core/detail.htm?id=1", catalogue)
    assert (taobao.host, taobao.registrable_domain) == ("h5.m.taobao.com", "taobao.com")
    ip = canonicalize("http://93.184.216.34/x", catalogue)
    assert (ip.host, ip.registrable_domain, ip.platform_id) == ("93.184.216.34", "93.184.216.34", None)
    idn = canonicalize("https://www.bücher.de/", catalogue)
    assert (idn.host, idn.registrable_domain) == ("xn--bcher-kva.de", "xn--bcher-kva.de")


MEET = [
    ("https://www.ebay.co.uk/itm/Carved-figurine/1234567890?hash=item1", "https://ebay.co.uk/itm/1234567890"),
    ("https://m.facebook.com/marketplace/item/42/", "https://www.facebook.com/marketplace/item/42?ref=share"),
    ("https://item.taobao.com/item.htm?id=7&spm=x", "https://h5.m.taobao.com/awp/core/detail.htm?id=7"),
    ("https://www.instagram.com/reel/Abc123/", "https://instagram.com/p/Abc123"),
    ("https://youtu.be/dQw4w9WgXcQ", "https://www.youtube.com/watch?feature=share&v=dQw4w9WgXcQ"),
    ("https://www.ebay-kleinanzeigen.de/s-anzeige/x/123-1-2", "https://kleinanzeigen.de/s-anzeige/y/123-5-6"),
    ("https://www.leboncoin.fr/animaux/99.htm", "https://leboncoin.fr/ad/animaux/99"),
    ("http://example.org/a?x=1", "https://example.org/a?x=1"),
    ("https://example.org/a?b=2&a=1", "https://example.org/a/?a=1&b=2&utm_campaign=spring"),
    ("https://EXAMPLE.org/a", "https://www.example.org/a#photos"),
    ("https://bücher.de/x", "https://xn--bcher-kva.de/x"),
    ("https://example.org:443/x", "https://example.org/x"),
    ("https://example.org/%7Ex", "https://example.org/~x"),
    ("https://example.org/%c3%a9", "https://example.org/é"),
]


@pytest.mark.parametrize(("first", "second"), MEET)
def test_urls_of_one_listing_meet(catalogue: PlatformCatalogue, first: str, second: str) -> None:
    assert canonicalize(first, catalogue).canonical_url == canonicalize(second, catalogue).canonical_url


APART = [
    ("https://ebay.co.uk/itm/1234567890", "https://ebay.co.uk/itm/1234567891"),
    ("https://ebay.com/itm/1234567890", "https://ebay.co.uk/itm/1234567890"),
    ("https://facebook.com/marketplace/item/42", "https://facebook.com/commerce/listing/42"),
    ("https://example.org/Item", "https://example.org/item"),
    ("https://example.org/a?id=1", "https://example.org/a?id=2"),
    ("https://example.org/a?a=1&a=2", "https://example.org/a?a=2&a=1"),
    ("https://example.org/a", "https://example.org/a?color=red"),
    ("https://example.org:8080/a", "https://example.org/a"),
    ("https://shop.example.org/a", "https://example.org/a"),
    ("https://example.org/a%2Fb", "https://example.org/a/b"),
    ("https://example.org/a+b", "https://example.org/a%2Bb"),
    ("https://item.taobao.com/item.htm?id=1", "https://detail.tmall.com/item.htm?id=1"),
    ("https://www.tiktok.com/@a/video/1", "https://www.tiktok.com/@a/video/2"),
]


@pytest.mark.parametrize(("first", "second"), APART)
def test_different_listings_stay_apart(catalogue: PlatformCatalogue, first: str, second: str) -> None:
    assert canonicalize(first, catalogue).canonical_url != canonicalize(second, catalogue).canonical_url


REFUSALS = [
    ("javascript:alert(document.cookie)", "scheme"),
    ("JavaScript:alert(1)", "scheme"),
    ("data:text/html;base64,PHNjcmlwdD4=", "scheme"),
    ("ftp://ftp.example.com/file", "scheme"),
    ("mailto:seller@example.com", "scheme"),
    ("file:///etc/passwd", "scheme"),
    ("intent://scan/#Intent;scheme=zxing;end", "scheme"),
    ("https://", "no_host"),
    ("http:///itm/123", "no_host"),
    ("https:ebay.com/itm/1", "no_host"),
    ("https://user:secret@www.ebay.com/itm/1", "credentials"),
    ("https://www.ebay.com@evil.example/itm/1", "credentials"),
    ("https://www.ebay.com/itm/" + "1" * MAX_URL_LENGTH, "too_long"),
    ("https://www.ebay.com/itm/1 2", "malformed"),
    ("not a url", "malformed"),
    ("asdfgh", "malformed"),
    ("https://exa mple.com/", "malformed"),
    ("https:\\\\ebay.com\\itm\\1", "malformed"),
    ("https://ebay.com/\x00", "malformed"),
    ("https://ebay.com/itm/1\u30002", "malformed"),
    ("https://ebay.com:99999/", "malformed"),
    ("https://ebay.com/itm/1\u202e2", "malformed"),
    ("https://eb\u200bay.com/itm/1", "malformed"),
    ("https://ebay.com:abc/", "malformed"),
    ("", "empty"),
    ("   ", "empty"),
    ("https://localhost/x", "host"),
    ("https://127.0.0.1/", "host"),
    ("https://192.168.1.10/admin", "host"),
    ("https://[::1]/", "host"),
    ("https://ebay.invalidtld/x", "host"),
    ("https://co.uk/x", "host"),
    ("https://ex..ample.com/", "host"),
    ("https://exa!mple.com/", "host"),
    ("https://999.1.1.1/", "host"),
]


@pytest.mark.parametrize(("url", "code"), REFUSALS, ids=[repr(row[0][:50]) for row in REFUSALS])
def test_refusals(catalogue: PlatformCatalogue, url: str, code: str) -> None:
    with pytest.raises(InvalidListingURL) as caught:
        canonicalize(url, catalogue)
    assert caught.value.code == code
    assert code in ERROR_CODES
    assert isinstance(caught.value, ValueError)
    assert str(caught.value) == caught.value.message and len(caught.value.message) > 10


def test_invisible_characters_around_a_pasted_url_are_trimmed(catalogue: PlatformCatalogue) -> None:
    result = canonicalize("\ufeff\u200b https://www.ebay.com/itm/123456789012\u200b\n", catalogue)
    assert result.canonical_url == "https://ebay.com/itm/123456789012"
    assert result.original_url == "https://www.ebay.com/itm/123456789012"


def test_refusal_messages_say_what_is_wrong(catalogue: PlatformCatalogue) -> None:
    with pytest.raises(InvalidListingURL, match="javascript:"):
        canonicalize("javascript:alert(1)", catalogue)
    with pytest.raises(InvalidListingURL, match="2048"):
        canonicalize("https://a.example/" + "x" * 3000, catalogue)
    with pytest.raises(InvalidListingURL, match="localhost"):
        canonicalize("http://localhost:8000/", catalogue)


def test_length_limit_is_inclusive(catalogue: PlatformCatalogue) -> None:
    base = "https://example.org/"
    exact = base + "a" * (MAX_URL_LENGTH - len(base))
    assert canonicalize(exact, catalogue).canonical_url == exact
    with pytest.raises(InvalidListingURL):
        canonicalize(exact + "a", catalogue)


EXTRACT = [
    ("Look at this! https://www.ebay.com/itm/12345?_trksid=p1 via eBay app", "https://www.ebay.com/itm/12345?_trksid=p1"),
    ("Check out this listing on Etsy: https://www.etsy.com/listing/123/bone-carving.",
     "https://www.etsy.com/listing/123/bone-carving"),
    ("(see https://en.wikipedia.org/wiki/Pangolin_(disambiguation))",
     "https://en.wikipedia.org/wiki/Pangolin_(disambiguation)"),
    ("(https://example.org/item/5)", "https://example.org/item/5"),
    ("markdown [listing](https://example.org/item/5)", "https://example.org/item/5"),
    ("【淘宝】https://m.tb.cn/h.5EF6GHI?tk=abcd CZ3457 「穿山甲鳞片」点击链接直接打开",
     "https://m.tb.cn/h.5EF6GHI?tk=abcd"),
    ("复制链接https://m.tb.cn/h.5EF6GHI「穿山甲」", "https://m.tb.cn/h.5EF6GHI"),
    ("HTTPS://WWW.EBAY.COM/itm/1!", "HTTPS://WWW.EBAY.COM/itm/1"),
    ("<https://example.org/a>", "https://example.org/a"),
    ('He said "https://example.org/a", then left', "https://example.org/a"),
    ("first http:// then https://example.org/x", "https://example.org/x"),
    ("ftp://files.example.org then https://shop.example.org/1", "https://shop.example.org/1"),
    ("Two: https://a.example.org/1 and https://b.example.org/2", "https://a.example.org/1"),
    ("IDN: https://bücher.de/buch?x=1.", "https://bücher.de/buch?x=1"),
    ("line one\nhttps://example.org/a\nline three", "https://example.org/a"),
    ("Wow…https://example.org/a…", "https://example.org/a"),
    ("no link here", None),
    ("ebay.com/itm/1 (no scheme)", None),
    ("", None),
]  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), EXTRACT)
def test_extract_url(text: str, expected: str | None) -> None:
    assert extract_url(text) == expected


def test_shared_text_to_listing(catalogue: PlatformCatalogue) -> None:
    text = "Look at this! https://www.ebay.com/itm/12345?_trksid=p1 via eBay app"
    url = extract_url(text)
    assert url is not None
    assert canonicalize(url, catalogue).canonical_url == "https://ebay.com/itm/12345"


def test_recognise_platform(catalogue: PlatformCatalogue) -> None:
    assert recognise_platform("https://www.ebay.de/itm/1", catalogue) == ("ebay", "eBay")
    assert recognise_platform("m.tiktok.com/@someone", catalogue) == ("tiktok", "TikTok")
    assert recognise_platform("Look https://m.leboncoin.fr/ad/animaux/1 wow", catalogue) == (
        "leboncoin",
        "leboncoin",
    )
    assert recognise_platform("https://example.org/x", catalogue) is None
    assert recognise_platform("https://www.eba", catalogue) is None
    assert recognise_platform("garbage", catalogue) is None
    assert recognise_platform("", catalogue) is None
    assert recognise_platform(
        "https://www.vinted.fr/items/1", catalogue, extra_domains={"vinted.fr": "vinted"}
    ) == (
        "vinted",
        "vinted",
    )


def test_extra_domains_per_call(catalogue: PlatformCatalogue) -> None:
    plain = canonicalize("https://www.ebay.in/itm/Some-title/123456?_trksid=x", catalogue)
    assert plain.platform_id is None
    # Unknown platform: only the global tracking parameters go.
    assert plain.canonical_url == "https://ebay.in/itm/Some-title/123456?_trksid=x"

    mapped = canonicalize(
        "https://www.ebay.in/itm/Some-title/123456?_trksid=x", catalogue, extra_domains={"ebay.in": "ebay"}
    )
    assert (mapped.canonical_url, mapped.platform_id, mapped.listing_id) == (
        "https://ebay.in/itm/123456",
        "ebay",
        "123456",
    )

    vinted = Platform(
        id="vinted", name="Vinted", company="Vinted", coalition_member=False, tracking_params=("referrer",)
    )
    result = canonicalize("https://www.vinted.fr/items/42?referrer=catalog&utm_source=x&page=2", catalogue,
                          extra_domains={"vinted.fr": vinted})  # fmt: skip
    assert (result.canonical_url, result.platform_id, result.platform_name) == (
        "https://vinted.fr/items/42?page=2",
        "vinted",
        "Vinted",
    )
    # A run-time mapping wins over the file.
    override = canonicalize("https://m.tb.cn/h.abc", catalogue, extra_domains={"tb.cn": "xianyu"})
    assert override.platform_id == "xianyu"


def test_extra_domains_via_catalogue(catalogue: PlatformCatalogue) -> None:
    extended = catalogue.with_extra_domains({"WWW.eBay.IN": "ebay"})
    result = canonicalize("https://ebay.in/itm/777", extended)
    assert (result.canonical_url, result.platform_id) == ("https://ebay.in/itm/777", "ebay")
    assert canonicalize("https://ebay.in/itm/777", catalogue).platform_id is None


def test_fast_enough(catalogue: PlatformCatalogue) -> None:
    urls = [row[0] for row in TABLE]
    for url in urls:  # warm the caches
        canonicalize(url, catalogue)
    rounds = 20
    start = time.perf_counter()
    for _ in range(rounds):
        for url in urls:
            canonicalize(url, catalogue)
    per_url = (time.perf_counter() - start) / (rounds * len(urls))
    assert per_url < 0.001, f"{per_url * 1e6:.0f} µs per URL"


def _forbid_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the network was used")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", refuse)


def test_public_suffix_list_needs_no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    _forbid_network(monkeypatch)
    monkeypatch.setenv(
        "TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "https://publicsuffix.org/list/public_suffix_list.dat"
    )
    extractor = build_tld_extractor()
    assert extractor.extract_str("www.ebay.co.uk").top_domain_under_public_suffix == "ebay.co.uk"
    assert extractor.extract_str("xn--bcher-kva.de").top_domain_under_public_suffix == "xn--bcher-kva.de"


def test_network_guard_catches_a_fetching_extractor(monkeypatch: pytest.MonkeyPatch) -> None:
    """The guard above would notice: tldextract's default set-up does try to fetch."""
    _forbid_network(monkeypatch)
    fetching = tldextract.TLDExtract(
        cache_dir=None, suffix_list_urls=("https://publicsuffix.org/list/x.dat",)
    )
    with pytest.raises(AssertionError, match="network"):
        fetching.extract_str("www.ebay.co.uk")
