# ruff: noqa: RUF001  (Chinese text and punctuation, on purpose)
"""Knowledge answers in Chinese: sentences, terms, grounding, the knowledge base per language."""

from __future__ import annotations

import functools
import re

import pytest

from generators.answer import AnswerPipeline, build_messages, grounding, language_instruction
from generators.compose import compose
from generators.embeddings import HashingEmbedder
from generators.languages import (
    LANGUAGE_THRESHOLDS,
    KnowledgeBases,
    base_language,
    language_folders,
)
from generators.lexical import han_terms, terms
from generators.retrieval import KnowledgeBase, chunk_markdown
from generators.text import ScriptedGenerator
from tests.conftest import BRAND, KNOWLEDGE_DIR

ZH_DOCS = {
    "returns": """# 退货与退款

## 退货期限
在 Voltline 购买的任何商品，都可以在购买后 30 天内退货。30 天从您收到商品的当天开始计算。

## 退款
我们收到并检查商品后，退款会在 5 个工作日内原路退回到您的付款方式。
""",
    "shipping": """# 配送与送货

## 运费
订单金额超过 £50 免运费。£50 及以下的订单统一收取 £4.99 运费。
""",
}


@pytest.fixture
def zh_knowledge_base() -> KnowledgeBase:
    chunks = [c for doc_id, text in ZH_DOCS.items() for c in chunk_markdown(doc_id, text)]
    return KnowledgeBase(
        chunks, embedder=HashingEmbedder(), threshold=0.3, ignore_terms=(BRAND.business,)
    )


@pytest.fixture
def bilingual(knowledge_base, zh_knowledge_base) -> KnowledgeBases:
    return KnowledgeBases(knowledge_base, {"zh": zh_knowledge_base})


def test_chinese_sentences_end_at_full_width_stops_and_semicolons() -> None:
    (chunk,) = chunk_markdown("d", "# 文档\n## 节\n第一句。第二句！第三句？分句一；分句二。")
    assert chunk.sentences == ("第一句。", "第二句！", "第三句？", "分句一；", "分句二。")
    (english,) = chunk_markdown("d", "# Doc\n## S\nOne at £5. Two! Three")
    assert english.sentences == ("One at £5.", "Two!", "Three")


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("运费多少", ["运费"]),
        ("退货要多久", ["退货", "多久"]),
        ("耳机坏了保修吗", ["耳机", "机坏", "保修"]),
        ("Nova 8 手机多少钱", ["nova", "8", "手机", "钱"]),
    ],
)
def test_chinese_terms_are_bigrams_without_function_words(question, expected) -> None:
    assert terms(question) == expected


def test_a_lone_character_between_function_words_counts_alone() -> None:
    assert han_terms("可以用卡吗") == ["用卡"]
    assert han_terms("我的卡") == ["卡"]


def test_grounding_reads_chinese_and_rejects_invented_figures() -> None:
    sources = ["订单金额超过 £50 免运费。£50 及以下的订单统一收取 £4.99 运费。"]
    assert grounding("订单金额超过 £50 免运费。", sources) == 1.0
    assert grounding("订单超过 £50 免运费。", sources) >= 0.75  # "单超" spans two words
    assert grounding("订单超过 £30 免运费。", sources) == 0.0
    assert grounding("我们提供免费的礼品包装服务。", sources) < 0.5


def test_compose_keeps_a_chinese_sentence_that_leans_on_the_one_before(zh_knowledge_base) -> None:
    hits = zh_knowledge_base.search("退货期限多少天", k=1)
    assert "30 天内退货" in compose(hits).text


def test_the_knowledge_base_of_the_language_is_searched_and_english_is_the_fallback(
    bilingual, knowledge_base, zh_knowledge_base
) -> None:
    assert bilingual.for_language("zh") == ("zh", zh_knowledge_base)
    assert bilingual.for_language("zh-CN") == ("zh", zh_knowledge_base)
    assert bilingual.for_language("fr") == ("en", knowledge_base)
    assert bilingual.for_language(None) == ("en", knowledge_base)
    assert base_language("zh-tw") == "zh" and bilingual.codes == ("en", "zh")


def test_a_languages_knowledge_base_is_built_on_its_first_question_only(
    knowledge_base, zh_knowledge_base
) -> None:
    built: list[str] = []

    def build() -> KnowledgeBase:
        built.append("zh")
        return zh_knowledge_base

    bases = KnowledgeBases(knowledge_base, {"zh": build})
    assert bases.for_language("en") == ("en", knowledge_base) and built == []
    assert bases.for_language("zh") == bases.for_language("zh-CN") == ("zh", zh_knowledge_base)
    assert built == ["zh"]


def test_the_shipped_knowledge_has_a_chinese_folder_with_the_same_sections() -> None:
    folders = language_folders(KNOWLEDGE_DIR)
    assert set(folders) == {"zh"}
    for english in sorted(KNOWLEDGE_DIR.glob("*.md")):
        chinese = folders["zh"] / english.name
        en = chunk_markdown(english.stem, english.read_text(encoding="utf-8"))
        zh = chunk_markdown(chinese.stem, chinese.read_text(encoding="utf-8"))
        assert len(en) == len(zh), english.name
        for a, b in zip(en, zh, strict=True):
            figures = [f for f in _figures(a.text) if f not in _TRANSLATED_FIGURES]
            assert set(figures) <= set(_figures(b.text)), (english.name, a.section)


_TRANSLATED_FIGURES = {"50"}
"""Written differently in Chinese: "a 50-megapixel camera" is "5000 万像素"."""


def _figures(text: str) -> list[str]:
    return re.findall(r"£?\d+(?:[.:,]\d+)*(?:-\d+)?|[\w.]+@\w+(?:\.\w+)*", text)


def test_a_chinese_question_is_answered_from_the_chinese_documents_with_chinese_sources(
    knowledge_base, bilingual
) -> None:
    pipe = AnswerPipeline(
        brand=BRAND,
        knowledge_base=knowledge_base,
        knowledge_bases=bilingual,
        generator=ScriptedGenerator(replies=["unused"]),
        generate=False,
    )
    answer = pipe.answer("运费多少钱？", language="zh")
    assert answer.outcome == "answered" and answer.language == "zh"
    assert "免运费" in answer.text
    assert answer.reply.endswith("（来源：配送与送货：运费）")
    unknown = pipe.answer("你们卖自行车吗", language="zh")
    assert unknown.outcome == "abstained" and unknown.text.startswith("这个问题我不太清楚")
    assert pipe.answer("How much is shipping?", language="fr").reply.endswith(
        "(Source: Shipping and delivery: Delivery costs)"
    )


def test_the_text_backend_is_told_to_answer_in_the_customers_language(
    knowledge_base, bilingual
) -> None:
    generator = ScriptedGenerator(replies=["订单金额超过 £50 免运费 [1]。"])
    pipe = AnswerPipeline(
        brand=BRAND,
        knowledge_base=knowledge_base,
        knowledge_bases=bilingual,
        generator=generator,
        deadline_s=0.5,
    )
    answer = pipe.answer("运费怎么算", language="zh")
    assert (answer.outcome, answer.text) == ("answered", "订单金额超过 £50 免运费。")
    system = generator.calls[0][0].content
    assert system.endswith(language_instruction("zh")) and "简体中文" in system
    english = build_messages("q", pipe.preprocess("returns").retrieval, system_prompt="S.")
    assert english[0].content == f"S. {language_instruction('en')}"
    assert "English" in english[0].content


def test_a_chinese_reply_without_support_falls_back_to_the_quoted_sources(
    knowledge_base, bilingual
) -> None:
    pipe = AnswerPipeline(
        brand=BRAND,
        knowledge_base=knowledge_base,
        knowledge_bases=bilingual,
        generator=ScriptedGenerator(replies=["我们的礼品包装全部免费，当天送达。"]),
        deadline_s=0.5,
    )
    answer = pipe.answer("运费怎么算", language="zh")
    assert answer.outcome == "fallback" and "免运费" in answer.text


MULTILINGUAL = (
    KNOWLEDGE_DIR.parent.parent / "models" / "encoders" / "multilingual-e5-small" / "source"
)


@pytest.mark.slow
@pytest.mark.skipif(
    not MULTILINGUAL.is_dir(), reason="multilingual-e5-small not built (make setup)"
)
@pytest.mark.parametrize(
    ("question", "section"),
    [
        ("退货要多久", "退货期限|概览"),
        ("退款多久到账", "退款"),
        ("耳机坏了保修吗", "保修范围"),
        ("手机屏幕摔碎了能免费修吗", "不在保修范围内的情况|Voltline Care"),
        ("运费多少", "运费"),
        ("可以用支付宝吗", "接受的支付方式"),
        ("耳机拆封了还能退吗", "已拆封和已使用的商品"),
        ("快递几天能到", "送货时间"),
        ("包裹到了是坏的怎么办", "包裹丢失或损坏"),
        ("机场店周日开门吗", "Voltline Airport 机场店"),
        ("怎么联系客服", "联系客服"),
        ("礼品卡有效期多久", "礼品卡"),
        ("学生有优惠吗", "学生折扣"),
        ("去欧洲旅游可以漫游吗", "漫游"),
        ("聊天记录保存多久", "聊天记录"),
    ],
)
def test_chinese_questions_reach_their_section_with_the_multilingual_encoder(
    question: str, section: str
) -> None:
    """``section``: the sections that answer, separated by "|"."""
    retrieval = _real_chinese_knowledge_base().retrieve(question, k=1)
    assert retrieval.confident and retrieval.hits[0].chunk.section in section.split("|")


@pytest.mark.slow
@pytest.mark.skipif(
    not MULTILINGUAL.is_dir(), reason="multilingual-e5-small not built (make setup)"
)
def test_a_question_nothing_answers_is_not_confident_in_chinese() -> None:
    assert not _real_chinese_knowledge_base().retrieve("今天天气怎么样").confident


@functools.cache
def _real_chinese_knowledge_base() -> KnowledgeBase:
    from generators.embeddings import SentenceTransformerEmbedder

    return KnowledgeBase.from_directory(
        KNOWLEDGE_DIR / "zh",
        embedder=SentenceTransformerEmbedder(model_path=MULTILINGUAL),
        threshold=LANGUAGE_THRESHOLDS["zh"],
        ignore_terms=(BRAND.business,),
    )


def test_a_chinese_draft_streams_sentence_by_sentence_and_stops_at_an_unsupported_one(
    knowledge_base, bilingual
) -> None:
    reply = "订单金额超过 £50 免运费 [1]。£50 及以下的订单收取 £4.99 运费。我们还送一台电视。"
    pipe = AnswerPipeline(
        brand=BRAND,
        knowledge_base=knowledge_base,
        knowledge_bases=bilingual,
        generator=ScriptedGenerator(replies=[reply], chunk_size=3),
        deadline_s=0.5,
    )
    pieces: list[str] = []
    answer = pipe.answer("运费怎么算", language="zh", on_chunk=pieces.append)
    assert "".join(pieces) == "订单金额超过 £50 免运费 [1]。£50 及以下的订单收取 £4.99 运费。"
    assert answer.outcome == "fallback" and answer.language == "zh"


def test_chinese_product_questions_are_answered_from_the_catalogue_in_chinese(
    knowledge_base, bilingual
) -> None:
    from generators.followup import Context
    from generators.products import ProductCatalog
    from tests.conftest import CATALOG_DIR

    pipe = AnswerPipeline(
        brand=BRAND,
        knowledge_base=knowledge_base,
        knowledge_bases=bilingual,
        generator=ScriptedGenerator(replies=["unused"]),
        generate=False,
        catalog=ProductCatalog.from_directory(CATALOG_DIR, business=BRAND.business),
    )
    price = pipe.answer("Nova 8 多少钱？", language="zh")
    assert (price.outcome, price.cause, price.product_id) == ("answered", "catalogue", "nova-8")
    assert price.reply == (
        "Nova 8 有 2 个版本：128 GB £599，256 GB £699。\n（来源：产品目录：Nova 8）"
    )
    on_nova = Context(previous=("Nova 8 多少钱？",), product_id="nova-8")
    colour = pipe.answer("有蓝色的吗", language="zh", context=on_nova)
    assert colour.text.startswith("有的，Nova 8 有蓝色。") and colour.product_id == "nova-8"
    both = pipe.answer("Nova 8 和 Nova 8 Mini 各多少钱", language="zh")
    assert both.text.endswith("Nova 8 Mini 比 Nova 8 便宜 £50。")
    assert both.citations == ("产品目录：Nova 8", "产品目录：Nova 8 Mini")
    # a question about something else, with a product in the conversation: the documents
    shipping = pipe.answer("运费多少钱？", language="zh", context=on_nova)
    assert shipping.cause != "catalogue" and "免运费" in shipping.text
    # English is as before
    english = pipe.answer("How much is the Nova 8?", language="en")
    assert english.text.startswith("The Nova 8 costs") and english.cause == "catalogue"


def test_a_chinese_financing_question_is_worked_out_from_the_terms(
    knowledge_base, bilingual
) -> None:
    from generators.financing import FinancingTerms
    from generators.products import ProductCatalog
    from tests.conftest import CATALOG_DIR

    pipe = AnswerPipeline(
        brand=BRAND,
        knowledge_base=knowledge_base,
        knowledge_bases=bilingual,
        generator=ScriptedGenerator(replies=["unused"]),
        generate=False,
        catalog=ProductCatalog.from_directory(CATALOG_DIR, business=BRAND.business),
        financing=FinancingTerms.load(),
    )
    quote = pipe.answer("Nova 8 分12期每个月还多少", language="zh")
    assert (quote.cause, quote.product_id, quote.language) == ("financing", "nova-8", "zh")
    assert "£599.00，分 12 个月" in quote.text and "每月还款 £49.92" in quote.text
    assert quote.reply.endswith("（来源：分期付款条款）")
    english = pipe.answer("How much a month is the Nova 8 over 12 months?", language="en")
    assert english.cause == "financing" and english.text.startswith("Representative example")
