# ruff: noqa: RUF001  (words and notes in other languages and scripts, on purpose)
"""Which language a message is in, offline, and a polite note when it is not one we speak.

An English-only assistant reads "¿Dónde está mi pedido?" as noise and guesses at
it ("Did you mean: telling me your name?"). The engine should instead notice the
language and say which languages it speaks. Language detection libraries ship
large models for a decision this narrow, so this is a heuristic with no data
files: the writing system first (Han, kana, Hangul, Arabic, Cyrillic, Hebrew,
Greek, Devanagari, Thai), then, for Latin script, the function words of the
common European languages against English's. It answers only on clear evidence
(two function words of one language and more than of English, or a greeting
that belongs to one language only) and otherwise says nothing, so names
("jean-luc"), product names and English with one foreign word pass untouched.

The detection half is standard library only, so the action server can import
the notes; :class:`LanguageDetector`, the Rasa component, exists only where Rasa
is installed::

    pipeline:
      - name: bot.nlu.language.LanguageDetector
        supported: [en]

It adds ``{"code": "de", "name": "German", "supported": false, "supported_codes":
["en"]}`` under ``language`` in the parse data, and a message in a language
outside ``supported`` becomes ``nlu_fallback`` (its intent ranking kept), so the
fallback action answers it with :func:`unsupported_note`, in the customer's
language and in each one we speak.

A message that is clearly in a supported language (:func:`message_language`:
the script, function words, or a request such as "English please") also gets a
``language`` entity, which a ``language`` slot maps from; short or ambiguous
messages ("ok", "2", "👍") get none, so the conversation keeps its language and
responses with a ``language`` slot condition answer in it (docs/languages.md).
"""

from __future__ import annotations

import importlib.util
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

LANGUAGE = "language"
"""Key of the result in the parse data (and in ``Message.data``)."""

ENTITY = "language"
"""The entity a clear message in a supported language gets; a ``language`` slot maps from it."""

DEFAULT_SUPPORTED = ("en",)
NAMES = {
    "en": "English",
    "de": "German",
    "fr": "French",
    "es": "Spanish",
    "it": "Italian",
    "pt": "Portuguese",
    "nl": "Dutch",
    "pl": "Polish",
    "tr": "Turkish",
    "sv": "Swedish",
    "zh": "Chinese",
    "ja": "Japanese",
    "ko": "Korean",
    "ar": "Arabic",
    "ru": "Russian",
    "uk": "Ukrainian",
    "he": "Hebrew",
    "el": "Greek",
    "hi": "Hindi",
    "th": "Thai",
    "cy": "Welsh",
    "tl": "Tagalog",
    "sw": "Swahili",
    "vi": "Vietnamese",
    "id": "Indonesian",
    "ro": "Romanian",
    "cs": "Czech",
    "da": "Danish",
    "no": "Norwegian",
    "fi": "Finnish",
    "hu": "Hungarian",
    "bn": "Bengali",
    "ta": "Tamil",
    "te": "Telugu",
    "gu": "Gujarati",
    "pa": "Punjabi",
    "kn": "Kannada",
    "ml": "Malayalam",
    "si": "Sinhala",
    "ka": "Georgian",
    "hy": "Armenian",
    "am": "Amharic",
    "km": "Khmer",
    "lo": "Lao",
    "my": "Burmese",
}

# Function words of each language that are not also common English words
# ("die", "was", "a", "me", "no", "son" are left out on purpose).
_FUNCTION_WORDS: dict[str, str] = {
    "en": """the and is are you your my for with what when where how can could would do does have
        has this that there please want need not of it i me we our be an which who why to in
        on at any about from will if or just get""",
    "de": """der das und ist nicht ich du sie wir ihr mein meine ein eine einen dem den des mit
        für auf sind haben habe wann wo wie warum welche welcher können kann möchte möchten
        bitte danke auch noch schon heute morgen gibt geht ihre ihren euch uns zu zum zur
        vom beim aber oder sehr kein keine nur habt gerne guten öffnungszeiten geschäft
        kaufen bestellung wieviel wieviele kostet kosten preis lieferung versand rückgabe
        zurückgeben paket filiale geöffnet geschlossen kopfhörer rechnung ratenzahlung
        meinem meinen meiner""",
    "fr": """le les et est je tu vous nous il elle ils une des du au aux avec sur dans ma mes
        votre vos quand où pourquoi quel quelle quels qui que qu'il c'est voudrais merci
        bonjour bonsoir pas ne très aussi peux pouvez puis avez suis sont magasin commande
        acheter ouvert horaires la combien coûte prix livraison retour rembourser colis
        fermé écouteurs ordinateur paiement avez-vous pouvez-vous est-ce""",
    "es": """el los las es tú usted nosotros una unos unas del para por en mi mis su sus cuando
        cuándo donde dónde como cómo porque cuál quiero quisiera gracias hola buenos buenas
        días tardes está están estoy tengo tiene puedo puede pedido tienda comprar teléfono
        móvil abierto horario muy también pero qué la necesito tienen tiendas cuánto cuesta
        precio envío devolución devolver reembolso cerrado auriculares portátil ordenador
        pago hay""",
    "it": """il gli le è tu lei noi voi una del della dei delle su nel nella mio mia miei suo
        quando dove perché quale voglio vorrei grazie ciao buongiorno buonasera sono siete
        hai posso può negozio ordine comprare aperto orari molto anche che non la quanto
        costa prezzo spedizione consegna reso rimborso chiuso cuffie portatile pagamento
        avete potete""",
    "pt": """é você vocês nós uma uns umas da das para por em na meu minha seu sua quando onde
        como porque qual quero queria obrigado obrigada olá boa dia estou está tenho tem
        posso pode pedido loja comprar telefone celular aberto horário muito também mas que
        não entregam entrega sábado fica mais preço quanto custa envio devolução reembolso
        fechado fones pagamento têm""",
    "nl": """de het een en ik jij je wij mijn jouw uw voor aan wanneer waar waarom welke wil wilt
        kan kunt graag bedankt goedemorgen goedemiddag zijn heb hebt heeft winkel bestelling
        telefoon kopen openingstijden niet ook maar nog geen hoeveel kost prijs levering
        bezorging retour terugsturen gesloten koptelefoon betaling jullie hebben""",
    "pl": """jest nie się że jak czy gdzie kiedy dlaczego mój moja moje twój pani dla przez na od
        jestem chcę chciałbym chciałabym proszę dziękuję dzień dobry sklep zamówienie kupić
        otwarte godziny""",
    "tr": """ve bir bu için ile ne zaman nerede nasıl neden benim senin siz biz yok mı mu mü
        değil istiyorum lütfen teşekkürler merhaba günaydın mağaza sipariş almak açık saat""",
    "sv": """och är jag du ni vi mitt mina ett en för på när hur varför vilken vill kan tack hej
        morgon beställning köpa öppet inte också""",
    "vi": """tôi bạn không có của và là được cho này những một các với mấy giờ bao nhiêu cửa
        hàng xin chào cảm ơn mua điện thoại giá bán đâu khi nào làm sao muốn cần mở đóng
        lúc ngày giao gì không ạ vậy""",
    "id": """apakah bisa dengan saya anda kamu yang tidak untuk ini itu ada berapa harga terima
        kasih selamat pagi siang malam mau ingin pesanan toko buka kapan dimana bagaimana
        sudah belum bayar cicilan barang kirim pengiriman juga atau dari murah mahal tolong
        bisakah punya beli jam""",
    "ro": """și este pentru sunt aveți vreau cât costă bună ziua mulțumesc magazin comanda
        livrare telefon unde când ce nu pot""",
    "cs": """jsou máte chci kolik stojí dobrý den děkuji prosím obchod objednávka kde kdy proč
        můj moje není mám""",
    "da": """jeg ikke hvordan hvad hvornår hvorfor tak butik bestilling købe åben også har""",
    "no": """jeg ikke hvordan hva når hvorfor takk butikk bestilling kjøpe åpen også har""",
    "fi": """minä sinä ei onko mitä missä milloin miten kuinka paljon paljonko maksaa kiitos
        moi kauppa tilaus puhelin haluan voinko myös toimitus hinta""",
    "hu": """nem hogy mennyibe kerül szia köszönöm jó napot üzlet rendelés telefon szeretnék
        hol mikor miért egy az""",
    "cy": """diolch shwmae sut mae ydych chi gennych oes faint yw hefyd siop archeb ffôn prynu
        gwelwch dda bore prynhawn ydy""",
    # Hindi and Urdu as many write them in chat, in Latin letters
    "hi": """kya hai hain mujhe aap kaise kitna kitne chahiye nahi nahin mera meri kab kahan
        karna milega bhai namaste dhanyavaad shukriya kripya batao bataiye kar sakte""",
    "tl": """po salamat magkano mayroon kayo paano saan kailan gusto ko ba naman pwede bayad
        telepono tindahan""",
    "sw": """habari asante bei gani nini una kuna simu duka ninataka tafadhali lini wapi""",
}
# One word is enough for these: greetings and thanks that English never uses.
_STANDALONE: dict[str, str] = {
    "de": "danke tschüss servus moin guten",
    "fr": "bonjour bonsoir merci salut",
    "es": "hola gracias buenos buenas adiós",
    "it": "ciao grazie buongiorno buonasera",
    "pt": "olá obrigado obrigada",
    "nl": "goedemorgen goedemiddag bedankt",
    "pl": "dzień dziękuję cześć",
    "tr": "merhaba teşekkürler günaydın",
    "sv": "tack hej",
    "vi": "chào cảm",
    "id": "selamat terima makasih",
    "ro": "mulțumesc bună",
    "cs": "děkuji dobrý",
    "da": "tak",
    "no": "takk",
    "fi": "kiitos moi",
    "hu": "szia köszönöm",
    "cy": "diolch shwmae",
    "hi": "namaste shukriya dhanyavaad",
    "tl": "salamat",
    "sw": "habari asante jambo",
}
# Letters that only these languages use among the ones above.
_LETTERS: dict[str, str] = {
    "de": "ßäöü",
    "fr": "çèêëîïôœùû",
    "es": "ñ",
    "pt": "ãõ",
    "pl": "ąćęłńśźż",
    "tr": "ğışİ",
    "sv": "å",
    # Vietnamese: its own vowels and the tone marks below or hooked above a vowel.
    "vi": "ăđơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ",
    "ro": "șțţş",
    "cs": "ěřů",
    "da": "æø",
    "no": "æø",
    "hu": "őű",
}
# Writing systems: the Unicode name prefix of a letter → language.
_SCRIPTS = (
    ("CJK UNIFIED", "zh"),
    ("HIRAGANA", "ja"),
    ("KATAKANA", "ja"),
    ("HANGUL", "ko"),
    ("ARABIC", "ar"),
    ("CYRILLIC", "ru"),
    ("HEBREW", "he"),
    ("GREEK", "el"),
    ("DEVANAGARI", "hi"),
    ("THAI", "th"),
    ("BENGALI", "bn"),
    ("TAMIL", "ta"),
    ("TELUGU", "te"),
    ("GUJARATI", "gu"),
    ("GURMUKHI", "pa"),
    ("KANNADA", "kn"),
    ("MALAYALAM", "ml"),
    ("SINHALA", "si"),
    ("GEORGIAN", "ka"),
    ("ARMENIAN", "hy"),
    ("ETHIOPIC", "am"),
    ("KHMER", "km"),
    ("LAO", "lo"),
    ("MYANMAR", "my"),
)
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*", re.UNICODE)
_UKRAINIAN = frozenset("іїєґ")

_WORDS = {lang: frozenset(words.split()) for lang, words in _FUNCTION_WORDS.items()}
_GREETINGS = {lang: frozenset(words.split()) for lang, words in _STANDALONE.items()}


@dataclass(frozen=True)
class Detection:
    """A language decided on clear evidence; ``None`` from :func:`detect` when unclear."""

    code: str
    evidence: str

    @property
    def name(self) -> str:
        return NAMES.get(self.code, self.code)


def _script(text: str) -> Detection | None:
    counts: dict[str, int] = {}
    letters = 0
    latin_before = False
    for ch in text:
        if not ch.isalpha():
            latin_before = False
            continue
        name = unicodedata.name(ch, "")
        # A Latin word counts once, as one Han character is about one word:
        # "我想买iPhone" is Chinese with a product name in it.
        latin = name.startswith("LATIN")
        if not (latin and latin_before):
            letters += 1
        latin_before = latin
        for prefix, lang in _SCRIPTS:
            if name.startswith(prefix):
                counts[lang] = counts.get(lang, 0) + 1
                break
    if not counts or letters == 0:
        return None
    if counts.get("ja"):  # kana next to Han characters: Japanese, not Chinese
        counts["ja"] += counts.pop("zh", 0)
    lang, count = max(counts.items(), key=lambda item: item[1])
    if count < 2 or count < 0.4 * letters:
        return None
    if lang == "ru" and _UKRAINIAN.intersection(text.lower()):
        lang = "uk"
    return Detection(
        lang, f"{count} of {letters} letters (a Latin word as one) are {NAMES[lang]} script"
    )


def script_language(text: str) -> str | None:
    """The language the message's writing system names (Han: ``zh``, Cyrillic: ``ru``, ...).

    ``None`` for Latin script (and text without letters): which Latin-script
    language it is takes :func:`detect`'s function words.
    """
    found = _script(text)
    return found.code if found else None


def detect(text: str) -> Detection | None:
    """The message's language when the evidence is clear, else None (read it as English)."""
    by_script = _script(text)
    if by_script is not None:
        return by_script
    words = [w.lower().replace("’", "'") for w in _WORD.findall(text)]
    if not words:
        return None
    english = sum(w in _WORDS["en"] for w in words)
    best: tuple[float, str, int] | None = None
    for lang, vocabulary in _WORDS.items():
        if lang == "en":
            continue
        hits = sum(w in vocabulary for w in words)
        greeting = any(w in _GREETINGS.get(lang, ()) for w in words)
        letters = sum(ch in _LETTERS.get(lang, "") for ch in text.lower())
        if lang == "es" and re.search(r"[¿¡]", text):  # only Spanish opens with these
            letters += 2
        score = hits + (1.5 if greeting else 0) + min(letters, 2) * 0.5
        if best is None or score > best[0]:
            best = (score, lang, hits)
    assert best is not None
    score, lang, hits = best
    only_greeting = len(words) <= 2 and score >= 1.5 and english == 0
    if only_greeting or (score >= 2 and hits >= 1 and score > 1.5 * english):
        return Detection(lang, f"{hits} {NAMES[lang]} function words, {english} English")
    return None


# A request for a language, in English or Chinese ("English please", "can you speak
# Chinese?", "说英语"); "is the manual in Chinese?" asks about the manual, not for Chinese.
_ASKING = r"(?:speak|talk|write|answer|reply|respond|chat|switch(?:\s+to)?|change\s+to|use)"


def _request(names: str) -> re.Pattern[str]:
    return re.compile(
        rf"\b{_ASKING}(?:\s+(?:to\s+)?(?:me|us))?(?:\s+in)?\s+(?:{names})\b"
        rf"|^\W*(?:in\s+)?(?:{names})(?:\s+please)?\W*$",
        re.IGNORECASE,
    )


def _asked_for(name: str) -> re.Pattern[str]:
    """A question or a plea for a language ("can you speak French?", "French please"),
    not a customer saying what they speak ("I speak French and English")."""
    to_me = r"(?:\s+(?:to\s+)?(?:me|us))?(?:\s+in)?"
    return re.compile(
        rf"\b(?:can|could|do|will|would)\s+(?:you|u)\s+{_ASKING}{to_me}\s+{name}\b"
        rf"|^\W*(?:please\s+)?{_ASKING}{to_me}\s+{name}\b"
        rf"|^\W*(?:in\s+)?{name}(?:\s+please)?\W*$",
        re.IGNORECASE,
    )


_REQUESTS = (
    (_request("english"), "en"),
    (_request("chinese|mandarin"), "zh"),
    (re.compile(r"(?:说|讲|用)英[语文]"), "en"),
    # "can you speak French?": a request for any other language we can name
    *((_asked_for(name.lower()), code) for code, name in NAMES.items() if code not in ("en", "zh")),
)
_LATIN_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")


def _requested(text: str) -> Detection | None:
    for pattern, code in _REQUESTS:
        if pattern.search(text):
            return Detection(code, f"asks for {NAMES[code]}")
    return None


def _english(text: str) -> Detection | None:
    words = [w.lower() for w in _LATIN_WORD.findall(text)]
    hits = sum(w in _WORDS["en"] for w in words)
    if hits >= 2 or (hits and len(words) >= 3):
        return Detection("en", f"{hits} English function words")
    return None


def message_language(text: str) -> Detection | None:
    """The language of a message when it is clear, English included; else None.

    Unlike :func:`detect` this says "en" for clear English, so a conversation can
    switch back to it. Short or ambiguous messages ("ok", "2", "👍", "Nova 8")
    give None: the conversation keeps its language. A request for a language
    ("English please", "说英语") wins over the words it is written in.
    """
    return _requested(text) or detect(text) or _english(text)


# The note, in the customer's language where we have it; {languages} lists the
# supported languages in English names (a proper noun a reader can recognise).
NOTES = {
    "en": "Sorry, I can only chat in {languages} at the moment.",
    "de": "Entschuldigung, ich kann im Moment nur auf {languages} antworten.",
    "fr": "Désolé, je ne peux répondre pour l'instant qu'en {languages}.",
    "es": "Lo siento, por ahora solo puedo responder en {languages}.",
    "it": "Mi dispiace, per ora posso rispondere solo in {languages}.",
    "pt": "Desculpe, por enquanto só consigo responder em {languages}.",
    "nl": "Sorry, ik kan op dit moment alleen in het {languages} antwoorden.",
    "pl": "Przepraszam, na razie mogę odpowiadać tylko po {languages}.",
    "tr": "Üzgünüm, şu anda yalnızca {languages} yanıt verebiliyorum.",
    "sv": "Tyvärr kan jag just nu bara svara på {languages}.",
    "zh": "抱歉，我目前只能用以下语言交流：{languages}。",
    "ja": "申し訳ありませんが、現在は次の言語でのみ対応しています：{languages}。",
    "ko": "죄송합니다. 지금은 {languages}로만 대화할 수 있습니다.",
    "ar": "عذرًا، يمكنني حاليًا الرد باللغة {languages} فقط.",
    "ru": "Извините, пока я могу отвечать только на {languages} языке.",
    "uk": "Вибачте, поки що я можу відповідати лише {languages} мовою.",
    "vi": "Xin lỗi, hiện tại tôi chỉ có thể trò chuyện bằng {languages}.",
    "id": "Maaf, saat ini saya hanya dapat menjawab dalam bahasa {languages}.",
    "hi": "क्षमा करें, फ़िलहाल मैं केवल {languages} में बात कर सकता हूँ।",
}
# Language names in the languages whose notes name them inline ("auf Englisch").
_LOCAL_NAMES = {
    "de": {
        "en": "Englisch",
        "de": "Deutsch",
        "fr": "Französisch",
        "es": "Spanisch",
        "zh": "Chinesisch",
    },
    "fr": {"en": "anglais", "de": "allemand", "fr": "français", "es": "espagnol", "zh": "chinois"},
    "es": {"en": "inglés", "de": "alemán", "fr": "francés", "es": "español", "zh": "chino"},
    "it": {"en": "inglese", "de": "tedesco", "fr": "francese", "es": "spagnolo", "zh": "cinese"},
    "pt": {"en": "inglês", "de": "alemão", "fr": "francês", "es": "espanhol", "zh": "chinês"},
    "nl": {"en": "Engels", "de": "Duits", "fr": "Frans", "es": "Spaans", "zh": "Chinees"},
    "sv": {"en": "engelska", "de": "tyska", "fr": "franska", "es": "spanska", "zh": "kinesiska"},
    "zh": {"en": "英语", "de": "德语", "fr": "法语", "es": "西班牙语", "zh": "中文"},
    "ja": {"en": "英語", "de": "ドイツ語", "fr": "フランス語", "es": "スペイン語", "zh": "中国語"},
    "ru": {
        "en": "английском",
        "de": "немецком",
        "fr": "французском",
        "es": "испанском",
        "zh": "китайском",
    },
    "uk": {
        "en": "англійською",
        "de": "німецькою",
        "fr": "французькою",
        "es": "іспанською",
        "zh": "китайською",
    },
    "pl": {
        "en": "angielsku",
        "de": "niemiecku",
        "fr": "francusku",
        "es": "hiszpańsku",
        "zh": "chińsku",
    },
    "tr": {
        "en": "İngilizce",
        "de": "Almanca",
        "fr": "Fransızca",
        "es": "İspanyolca",
        "zh": "Çince",
    },
    "ko": {"en": "영어", "de": "독일어", "fr": "프랑스어", "es": "스페인어", "zh": "중국어"},
    "vi": {
        "en": "tiếng Anh",
        "de": "tiếng Đức",
        "fr": "tiếng Pháp",
        "es": "tiếng Tây Ban Nha",
        "zh": "tiếng Trung",
    },
    "id": {"en": "Inggris", "de": "Jerman", "fr": "Prancis", "es": "Spanyol", "zh": "Mandarin"},
    "hi": {"en": "अंग्रेज़ी", "de": "जर्मन", "fr": "फ़्रेंच", "es": "स्पेनिश", "zh": "चीनी"},
    "ar": {
        "en": "الإنجليزية",
        "de": "الألمانية",
        "fr": "الفرنسية",
        "es": "الإسبانية",
        "zh": "الصينية",
    },
}
_AND = {
    "en": " and ",
    "de": " und ",
    "fr": " et ",
    "es": " y ",
    "it": " e ",
    "pt": " e ",
    "nl": " en ",
    "sv": " och ",
    "zh": "和",
    "ja": "と",
    "ru": " и ",
    "uk": " і ",
    "pl": " i ",
    "tr": " ve ",
    "ko": "와 ",
    "ar": " و",
    "vi": " và ",
    "id": " dan ",
    "hi": " और ",
}


def _join(names: Sequence[str], lang: str) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + _AND.get(lang, ", ") + names[-1]


_ASK = {"en": " Could you write to me in {choices}?", "zh": "请用{choices}给我发消息。"}
_OR = {"en": " or ", "zh": "或"}


def _note(lang: str, wanted: Sequence[str]) -> str:
    local = {"en": {}, **_LOCAL_NAMES}.get(lang, {})
    names = [local.get(c) or NAMES.get(c, c) for c in wanted]
    note = NOTES[lang].format(languages=_join(names, lang))
    if lang in _ASK:
        choices = _OR[lang].join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)
        note += _ASK[lang].format(choices=choices)
    return note


def unsupported_note(code: str | None, supported: Iterable[str] = DEFAULT_SUPPORTED) -> str:
    """ "Entschuldigung, ... auf Englisch ...\n\nSorry, I can only chat in English ...":
    the note in the customer's language where there is one, then in each language we speak."""
    wanted = list(supported) or list(DEFAULT_SUPPORTED)
    languages = [code] if code and code not in wanted and code in NOTES else []
    languages += [lang for lang in wanted if lang in NOTES]
    return "\n\n".join(_note(lang, wanted) for lang in languages or ["en"])


def language_info(detection: Detection | None, supported: Sequence[str]) -> dict[str, Any]:
    """What the parse data carries: the language (``None`` when unclear) and whether we speak it."""
    code = detection.code if detection else None
    return {
        "code": code,
        "name": detection.name if detection else None,
        "supported": code is None or code in supported,
        "supported_codes": list(supported),
        "evidence": detection.evidence if detection else None,
    }


if importlib.util.find_spec("rasa") is not None:  # the engine venv: the Rasa component
    from rasa.engine.graph import ExecutionContext, GraphComponent
    from rasa.engine.recipes.default_recipe import DefaultV1Recipe
    from rasa.engine.storage.resource import Resource
    from rasa.engine.storage.storage import ModelStorage
    from rasa.shared.exceptions import InvalidConfigException
    from rasa.shared.nlu.constants import (
        ENTITIES,
        ENTITY_ATTRIBUTE_TYPE,
        ENTITY_ATTRIBUTE_VALUE,
        EXTRACTOR,
        INTENT,
        INTENT_NAME_KEY,
        INTENT_RANKING_KEY,
        PREDICTED_CONFIDENCE_KEY,
        TEXT,
    )
    from rasa.shared.nlu.training_data.message import Message

    FALLBACK_INTENT = "nlu_fallback"

    # Like FallbackClassifier, an intent classifier with nothing to train that runs
    # after the real one and may replace its verdict.
    @DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
    class LanguageDetector(GraphComponent):
        """Adds ``language`` to each parse; a language we don't speak becomes ``nlu_fallback``."""

        @staticmethod
        def get_default_config() -> dict[str, Any]:
            return {"supported": list(DEFAULT_SUPPORTED), "entity": ENTITY}

        def __init__(self, config: dict[str, Any]) -> None:
            supported = config.get("supported")
            if (
                not isinstance(supported, list)
                or not supported
                or not all(isinstance(c, str) and c for c in supported)
            ):
                raise InvalidConfigException(
                    f"LanguageDetector: supported={supported!r} must be a non-empty list of "
                    "language codes, e.g. [en] or [en, de]."
                )
            self.supported = [c.lower() for c in supported]
            self.entity = config.get("entity") or None

        @classmethod
        def create(
            cls,
            config: dict[str, Any],
            model_storage: ModelStorage,
            resource: Resource,
            execution_context: ExecutionContext,
        ) -> LanguageDetector:
            return cls(config)

        def process(self, messages: list[Message]) -> list[Message]:
            for message in messages:
                info = language_info(message_language(message.get(TEXT) or ""), self.supported)
                message.set(LANGUAGE, info, add_to_output=True)
                if info["supported"]:
                    if info["code"] and self.entity:
                        # no start/end: it is about the whole message, and a span would
                        # hide the values inside it from the extractors after this one
                        found = {
                            ENTITY_ATTRIBUTE_TYPE: self.entity,
                            ENTITY_ATTRIBUTE_VALUE: info["code"],
                            EXTRACTOR: type(self).__name__,
                        }
                        entities = [*message.get(ENTITIES, []), found]
                        message.set(ENTITIES, entities, add_to_output=True)
                    continue
                fallback = {INTENT_NAME_KEY: FALLBACK_INTENT, PREDICTED_CONFIDENCE_KEY: 1.0}
                ranking = [
                    r
                    for r in message.data.get(INTENT_RANKING_KEY) or []
                    if r.get(INTENT_NAME_KEY) != FALLBACK_INTENT
                ]
                message.set(INTENT, fallback, add_to_output=True)
                message.set(INTENT_RANKING_KEY, [fallback, *ranking], add_to_output=True)
            return messages
