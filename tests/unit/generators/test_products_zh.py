# ruff: noqa: RUF001  (Chinese text and punctuation, on purpose)
"""Product facts asked in Chinese: the fact, the product (by its Latin or Chinese name, or
the one the conversation is on) and the reply, from the shipped catalogue."""

from __future__ import annotations

import pytest

from generators.followup import Context
from generators.products import ProductCatalog
from generators.products_zh import (
    answer_zh,
    citation_zh,
    fact_kind_zh,
    price_difference_zh,
    rewrite_zh,
)
from tests.conftest import CATALOG_DIR

CATALOG = ProductCatalog.from_directory(CATALOG_DIR, business="Voltline")
ON_NOVA = Context(product_id="nova-8")
NOTHING_YET = Context()


def reply(question: str, context: Context = NOTHING_YET) -> str:
    asked = rewrite_zh(question, context, CATALOG)
    assert asked.product is not None and asked.kind is not None, (question, asked)
    return answer_zh(CATALOG, asked.product, asked.kind, question)


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Nova 8 多少钱？", "price"),
        ("这个价格贵不贵", "price"),
        ("有什么颜色", "colour"),
        ("有粉色的吗", "colour"),
        ("还有货吗", "stock"),
        ("机场店能买到吗", "stock"),
        ("电池能用多久", "spec"),
        ("屏幕多大", "spec"),
        ("介绍一下 Slate 11", "overview"),
        ("怎么退货", None),
    ],
)
def test_the_fact_asked_is_read_from_chinese_cues(question: str, kind: str | None) -> None:
    assert fact_kind_zh(question) == kind


def test_prices_with_variants_and_the_one_asked() -> None:
    assert reply("Nova 8 多少钱？") == "Nova 8 有 2 个版本：128 GB £599，256 GB £699。"
    assert reply("256GB 的 nova8 卖多少") == "256 GB 的 Nova 8 售价 £699。"
    assert reply("无线充电板多少钱") == "无线充电板售价 £35。"  # the Chinese name
    assert reply("Nova 8 透明保护壳多少钱") == "Nova 8 透明保护壳售价 £25。"  # not the phone


def test_colours_said_in_chinese_and_a_missing_one_said_honestly() -> None:
    assert reply("Nova 8 有什么颜色") == "Nova 8 有黑色、银色和蓝色可选。"
    assert reply("有蓝的吗", ON_NOVA) == "有的，Nova 8 有蓝色。另外还有黑色和银色。"
    assert reply("Nova 8 有红色的吗") == "抱歉，Nova 8 没有红色，它有黑色、银色和蓝色。"


def test_stock_per_store_online_and_when_nothing_is_left() -> None:
    assert reply("有货吗", ON_NOVA) == (
        "Nova 8 目前在网上和我们的 Downtown 和 Riverside 店有货（Airport 店暂时没有）。"
    )
    assert reply("市中心店有 Nova 8 Mini 吗？有货吗") == (
        "有的，Voltline Downtown 店有 Nova 8 Mini 的现货（只剩几件了）。"
    )
    assert reply("Nova 8 机场店有货吗") == (
        "Voltline Airport 店目前没有 Nova 8 的现货；Downtown 和 Riverside 店有货，网上也有货。"
    )
    assert reply("Forge G15 还有货吗") == (
        "Forge G15 目前网上和门店都缺货。预计补货时间：两周内。"  # the facts' zh restock
    )


def test_specs_in_the_catalogues_chinese_words() -> None:
    assert reply("Terra X 防水吗") == "Terra X 三防手机防水（IP68）而且防摔。售价 £449。"
    assert reply("Nova 8 续航多久") == "Nova 8 的续航是一整天。售价 £599。"
    assert reply("Nova 7a 屏幕多大") == "Nova 7a 配备 6.5 英寸屏幕。售价 £329。"
    assert reply("AeroBook 14 有多重") == "AeroBook 14 重 1.2 公斤。售价 £1,099。"
    assert reply("Nova 8 支持5G吗") == "是的，Nova 8 支持 5G。售价 £599。"
    # a phone's "内存" is its storage; a laptop has both
    assert reply("Nova 8 内存多大") == "Nova 8 的存储是 128 GB 或 256 GB。售价 £599。"
    assert reply("StudyBook 13 内存多大") == "StudyBook 13 的内存是 8 GB。售价 £449。"


def test_a_spec_the_catalogue_lacks_is_answered_with_the_description() -> None:
    text = reply("Vista 55 的摄像头怎么样")  # a TV: no camera
    assert text.startswith("Vista 55 4K：55 英寸 4K HDR 智能电视") and text.endswith("£599。")
    english_only = CATALOG.products["nova-8"]
    bare = type(english_only)(**{**english_only.__dict__, "translated_specs": {}})
    assert answer_zh(CATALOG, bare, "spec", "Nova 8 续航多久").startswith("Nova 8：畅销智能手机")
    assert reply("介绍一下 Pulse ANC") == (
        "Pulse ANC：头戴式无线耳机，主动降噪，续航 30 小时，记忆海绵耳垫佩戴舒适。"
        "售价 £249。有黑色和白色可选。"
    )


def test_several_facts_in_one_question() -> None:
    assert reply("Nova 8 Mini 多少钱，有粉色的吗？") == (
        "Nova 8 Mini 售价 £549。有的，Nova 8 Mini 有粉色。另外还有黑色和绿色。"
    )


def test_a_short_question_is_about_the_conversations_product_and_a_longer_one_is_not() -> None:
    assert rewrite_zh("它防水吗", ON_NOVA, CATALOG).product.id == "nova-8"  # type: ignore[union-attr]
    assert rewrite_zh("市中心店有货吗", ON_NOVA, CATALOG).followup
    for other in ("运费多少钱？", "配送要多少钱", "退货要多久"):
        assert rewrite_zh(other, ON_NOVA, CATALOG).product is None, other
    assert rewrite_zh("有货吗", Context(), CATALOG).product is None


def test_a_name_inside_the_question_is_not_read_as_the_fact() -> None:
    """ "Pulse ANC" names the headphones; only other words ask for noise cancelling."""
    assert rewrite_zh("Pulse ANC 多少钱", Context(), CATALOG).kind == "price"


def test_citations_and_the_price_difference_in_chinese() -> None:
    nova, mini = CATALOG.products["nova-8"], CATALOG.products["nova-8-mini"]
    assert citation_zh(CATALOG.products["terra-x"]) == "产品目录：Terra X 三防手机"
    assert price_difference_zh(nova, mini) == "Nova 8 Mini 比 Nova 8 便宜 £50。"
    assert price_difference_zh(nova, nova) == "Nova 8 和 Nova 8 价格相同。"


@pytest.mark.parametrize(
    ("question", "product", "kind"),
    [
        ("AeroBook 14现在什么价", "aerobook-14", "price"),
        ("河畔那边还有Vista 65吗", "vista-65-oled", "stock"),
        ("Terra X有橙色的吗", "terra-x", "colour"),
        ("slate mini有银色吗", "slate-mini", "colour"),
        ("Pulse Watch S续航多久", "watch-s", "spec"),
        ("forge g15多重", "forge-g15", "spec"),
        ("StudyBook 13内存多大", "studybook-13", "spec"),
        ("Nova 8 老是自动关机", "nova-8", None),  # a fault: the knowledge base's
        ("nova8带充电器吗", "nova-8", None),
    ],
)
def test_what_customers_write(question: str, product: str, kind: str | None) -> None:
    asked = rewrite_zh(question, Context(), CATALOG)
    assert (asked.product and asked.product.id, asked.kind) == (product, kind)


def test_the_reference_catalogue_says_every_spec_in_chinese() -> None:
    for product in CATALOG.products.values():
        for key in product.specs:
            assert product.spec_in("zh", key), (product.id, key)


def test_a_translation_of_facts_other_than_restock_and_specs_is_refused(tmp_path) -> None:
    from generators.errors import ModelLoadError

    (tmp_path / "products.yml").write_text(
        "currency: GBP\nproducts:\n"
        "  - {id: a, name: A, category: x, price: 1, description: An A.}\n"
    )
    (tmp_path / "product_facts.yml").write_text(
        "products:\n  a:\n    colours: [black]\n    translations: {zh: {colours: [黑色]}}\n"
    )
    with pytest.raises(ModelLoadError, match="restock and specs only"):
        ProductCatalog.from_directory(tmp_path)


def test_a_spec_split_by_an_unquoted_comma_is_refused_with_the_fix(tmp_path) -> None:
    from generators.errors import ModelLoadError

    (tmp_path / "products.yml").write_text(
        "currency: GBP\nproducts:\n"
        "  - {id: a, name: A, category: x, price: 1, description: An A.}\n"
    )
    (tmp_path / "product_facts.yml").write_text(
        "products:\n  a:\n    specs: {display: 6.7-inch foldable, with a cover screen}\n"
    )
    with pytest.raises(ModelLoadError, match="must be quoted"):
        ProductCatalog.from_directory(tmp_path)
