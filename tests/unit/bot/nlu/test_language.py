# ruff: noqa: RUF001  (messages in other scripts, on purpose)
"""LanguageDetector: clear cases decided, names and English left alone, the note, the component."""

from __future__ import annotations

import pytest

from bot.nlu.language import LANGUAGE, detect, language_info, message_language, unsupported_note

pytestmark = pytest.mark.engine


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Guten Abend, haben Sie noch Kopfhörer im Angebot?", "de"),
        ("Können Sie mir bitte sagen, wo meine Bestellung ist", "de"),
        ("Est-ce que vous avez des écouteurs sans fil ?", "fr"),
        ("salut", "fr"),
        ("Necesito un portátil para la universidad", "es"),
        ("¿Tienen tiendas en Madrid?", "es"),
        ("Quanto costa la spedizione in Italia?", "it"),
        ("Vocês entregam no sábado?", "pt"),
        ("Hebben jullie ook tablets voor kinderen?", "nl"),
        ("请问你们的商店几点关门？", "zh"),
        ("هل يمكنني إرجاع السماعات؟", "ar"),
        ("Сколько стоит доставка?", "ru"),
        ("配送にはどれくらいかかりますか", "ja"),
        ("배송은 얼마나 걸리나요?", "ko"),
        # Latin-script languages beyond western Europe, and more writing systems
        ("chào bạn, điện thoại này giá bao nhiêu?", "vi"),
        ("selamat siang, berapa harga headphone ini?", "id"),
        ("Bună ziua, cât costă livrarea?", "ro"),
        ("Dobrý den, kolik stojí doprava?", "cs"),
        ("Szia, mennyibe kerül a szállítás?", "hu"),
        ("Hei, paljonko toimitus maksaa?", "fi"),
        ("নমস্কার, ডেলিভারি কত দিনে হয়?", "bn"),
        ("வணக்கம், டெலிவரி எவ்வளவு நாள் ஆகும்?", "ta"),
        ("გამარჯობა, რა ღირს მიწოდება?", "ka"),
        ("សួស្តី តម្លៃប៉ុន្មាន?", "km"),
        ("Shwmae, oes gennych chi liniaduron?", "cy"),
        ("bhai ye headphones kitne ke hain?", "hi"),  # Hindi in Latin letters
        ("magkano po ang delivery?", "tl"),
        ("habari, simu hii bei gani?", "sw"),
    ],
)
def test_clear_cases_are_decided(text: str, code: str) -> None:
    detection = detect(text)
    assert detection is not None and detection.code == code, detection


@pytest.mark.parametrize(
    "text",
    [
        "tomasz",
        "Marie-Claire",
        "Li Wei",
        "hallo",
        "ok",
        "?",
        "£30",
        "zzzz",
        "whats the interest rate if I pay over 24 months",
        "is the Nova 8 available in schwarz?",
        "hola! do you ship to spain?",
        "I need a laptop for my son, under 500",
        "Do you have the 华为 phone?",
        "pour me the details please",
        "/ask_faq",
        "ada here, can i pay with a gift card",
        "my name is Anh, is the nova 8 in stock",
        "hi im tak, whats the warranty on a tv",
        "hai there",
        "hai can u help me",
    ],
)
def test_english_names_and_mixed_messages_are_left_alone(text: str) -> None:
    assert detect(text) is None


def test_the_note_is_in_the_customers_language_and_in_english() -> None:
    note = unsupported_note("de", ["en"])
    assert note.startswith("Entschuldigung") and "Englisch" in note
    assert note.endswith(
        "Sorry, I can only chat in English at the moment. Could you write to me in English?"
    )
    two = unsupported_note("es", ["en", "de"])
    assert "inglés y alemán" in two and "English and German" in two
    assert unsupported_note("xx", ["en"]).startswith("Sorry, I can only chat in English")
    assert "中文" not in unsupported_note("zh") and unsupported_note("zh").startswith("抱歉")


def test_language_info_says_whether_we_speak_it() -> None:
    assert language_info(detect("¿Dónde está mi pedido?"), ["en"])["supported"] is False
    assert language_info(detect("¿Dónde está mi pedido?"), ["en", "es"])["supported"] is True
    assert language_info(None, ["en"]) == {
        "code": None,
        "name": None,
        "supported": True,
        "supported_codes": ["en"],
        "evidence": None,
    }


# The Rasa component ------------------------------------------------------------


def _detector(**config):
    from bot.nlu.language import LanguageDetector

    return LanguageDetector({**LanguageDetector.get_default_config(), **config})


def test_component_is_registered_as_a_non_trainable_classifier() -> None:
    from rasa.engine.recipes.default_recipe import DefaultV1Recipe

    registered = DefaultV1Recipe._from_registry("bot.nlu.language.LanguageDetector")
    assert registered.types == {DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER}
    assert not registered.is_trainable


def _message(text: str):
    from rasa.shared.nlu.training_data.message import Message

    message = Message(data={"text": text})
    message.set("intent", {"name": "tell_name", "confidence": 0.7}, add_to_output=True)
    ranking = [{"name": "tell_name", "confidence": 0.7}, {"name": "greet", "confidence": 0.2}]
    message.set("intent_ranking", ranking, add_to_output=True)
    return message


def test_a_language_we_do_not_speak_becomes_nlu_fallback_with_the_language() -> None:
    [out] = _detector().process([_message("Wo ist mein Paket, bitte?")])
    parse = out.as_dict(only_output_properties=True)
    assert parse["intent"] == {"name": "nlu_fallback", "confidence": 1.0}
    assert [r["name"] for r in parse["intent_ranking"]] == ["nlu_fallback", "tell_name", "greet"]
    assert parse[LANGUAGE]["code"] == "de" and parse[LANGUAGE]["supported"] is False
    assert parse[LANGUAGE]["supported_codes"] == ["en"]


def test_english_and_supported_languages_keep_their_intent() -> None:
    [english] = _detector().process([_message("where is my parcel please")])
    assert english.get("intent")["name"] == "tell_name"
    assert english.get(LANGUAGE)["supported"] is True
    [german] = _detector(supported=["en", "de"]).process([_message("Wo ist mein Paket, bitte?")])
    assert german.get("intent")["name"] == "tell_name"
    assert german.get(LANGUAGE)["code"] == "de"


def test_component_config_errors() -> None:
    from rasa.shared.exceptions import InvalidConfigException

    with pytest.raises(InvalidConfigException, match="non-empty list of language codes"):
        _detector(supported="en")
    with pytest.raises(InvalidConfigException, match="non-empty list"):
        _detector(supported=[])


# The conversation's language ----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("你好", "zh"),
        ("我想退货", "zh"),
        ("我想买iPhone 15 Pro", "zh"),  # a product name does not make it English
        ("我的order在哪里", "zh"),
        ("where is my order", "en"),
        ("I want a phone", "en"),
        ("Do you have the 华为 phone?", "en"),
        ("English please", "en"),
        ("can you speak English?", "en"),
        ("请说英语", "en"),
        ("Can we speak Chinese?", "zh"),
        ("could you reply to me in Mandarin", "zh"),
        ("is the manual in Chinese?", "en"),  # a question about the manual
        ("你会说英语吗", "en"),
        ("Wo ist mein Paket, bitte?", "de"),
    ],
)
def test_a_clear_message_says_its_language_english_included(text: str, code: str) -> None:
    found = message_language(text)
    assert found is not None and found.code == code, found


@pytest.mark.parametrize("text", ["ok", "2", "👍", "好", "hi", "thank you", "Nova 8", "£30", ""])
def test_short_or_ambiguous_messages_keep_the_conversations_language(text: str) -> None:
    assert message_language(text) is None


def test_the_note_names_every_supported_language_in_each_of_them() -> None:
    note = unsupported_note("de", ["en", "zh"])
    german, english, chinese = note.split("\n\n")
    assert german.startswith("Entschuldigung") and "Englisch und Chinesisch" in german
    assert english == (
        "Sorry, I can only chat in English and Chinese at the moment. "
        "Could you write to me in English or Chinese?"
    )
    assert chinese.startswith("抱歉") and "英语和中文" in chinese and "英语或中文" in chinese
    assert unsupported_note(None, ["en", "zh"]).startswith("Sorry")
    assert unsupported_note("ja", ["en", "zh"]).startswith("申し訳")


def test_a_clear_supported_message_gets_the_language_entity() -> None:
    [chinese] = _detector(supported=["en", "zh"]).process([_message("我想退货")])
    assert chinese.get("intent")["name"] == "tell_name"
    assert chinese.get("entities") == [
        {"entity": "language", "value": "zh", "extractor": "LanguageDetector"}
    ]
    [english] = _detector(supported=["en", "zh"]).process([_message("where is my order")])
    assert [e["value"] for e in english.get("entities")] == ["en"]


def test_short_foreign_or_unconfigured_messages_get_no_language_entity() -> None:
    detector = _detector(supported=["en", "zh"])
    [short, german] = detector.process([_message("ok"), _message("Wo ist mein Paket, bitte?")])
    assert not short.get("entities") and not german.get("entities")
    [quiet] = _detector(supported=["en", "zh"], entity=None).process([_message("我想退货")])
    assert not quiet.get("entities")


def test_values_after_the_language_entity_are_still_extracted() -> None:
    from bot.nlu.entities import OfflineValueExtractor

    [message] = _detector(supported=["en", "zh"]).process([_message("我预算两千块")])
    extractor = OfflineValueExtractor(OfflineValueExtractor.get_default_config())
    [out] = extractor.process([message])
    assert [(e["entity"], e["value"]) for e in out.get("entities")] == [
        ("language", "zh"),
        ("money", 2000.0),
    ]


def test_a_vietnamese_or_indonesian_note_comes_with_the_english_one() -> None:
    vi = unsupported_note("vi", ["en", "zh"])
    assert vi.startswith("Xin lỗi") and "tiếng Anh và tiếng Trung" in vi
    assert "Sorry, I can only chat in English and Chinese" in vi
    assert unsupported_note("id", ["en"]).startswith("Maaf") and "Inggris" in unsupported_note(
        "id", ["en"]
    )
    # a language without a note of its own still gets the English one
    assert unsupported_note("ka", ["en"]).startswith("Sorry, I can only chat in English")


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("can you speak french", "fr"),
        ("do u speak spanish?", "es"),
        ("German please", "de"),
        ("could you reply in polish", "pl"),
    ],
)
def test_asking_for_a_language_we_do_not_speak_is_that_language(text: str, code: str) -> None:
    detection = message_language(text)
    assert detection is not None and detection.code == code
    assert language_info(detection, ["en", "zh"])["supported"] is False


@pytest.mark.parametrize(
    "text",
    ["I speak french and english, is there a french keyboard", "is the manual in german?"],
)
def test_naming_a_language_is_not_asking_for_it(text: str) -> None:
    detection = message_language(text)
    assert detection is None or detection.code == "en"
