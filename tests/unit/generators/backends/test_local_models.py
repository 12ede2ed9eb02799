"""Local backends: a tiny model built from a config runs through the same code as the real one.

The tiny Llama (2 layers, random weights, a byte-level BPE tokenizer trained
here on the knowledge base) takes seconds, so CI covers loading, chat
templates, greedy decoding, streaming and the ONNX conversion. The ``slow``
tests use the real SmolLM2 built by ``python -m generators.backends.convert``.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from generators.backends.convert import DEFAULT_OUT, MODEL_SUBDIR, ONNX_DIR, hf_to_ortgenai
from generators.errors import GenerationTimeout, ModelLoadError
from generators.text import GenerationOptions, Message, build_generator
from tests.conftest import MODELS_DIR

ROOT = Path(__file__).resolve().parents[4]
CHAT_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
QUESTION = [Message("user", "Is shipping free on orders over $50?")]
GREEDY = GenerationOptions(max_new_tokens=12)


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    folder = tmp_path_factory.mktemp("tiny-llama")
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    texts = [p.read_text() for p in sorted((ROOT / "data" / "knowledge").glob("*.md"))]
    bpe.train_from_iterator(texts, trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=bpe,
        bos_token="<|im_start|>",
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        unk_token="<|endoftext|>",
    )
    tokenizer.chat_template = CHAT_TEMPLATE
    tokenizer.save_pretrained(folder)
    config = LlamaConfig(
        vocab_size=bpe.get_vocab_size(),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=512,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=True,
    )
    torch.manual_seed(0)
    LlamaForCausalLM(config).save_pretrained(folder)
    return folder


def test_tiny_model_generates_greedily_through_the_transformers_backend(tiny_model: Path) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gen = build_generator("transformers", model_path=tiny_model)
    text = gen.generate(QUESTION, GREEDY)

    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    model = AutoModelForCausalLM.from_pretrained(tiny_model)
    inputs = tokenizer.apply_chat_template(
        [{"role": "user", "content": QUESTION[0].content}],
        add_generation_prompt=True,
        return_tensors="pt",
        return_dict=True,
    )
    out = model.generate(**inputs, max_new_tokens=12, do_sample=False, repetition_penalty=1.15)
    expected = tokenizer.decode(out[0, inputs["input_ids"].shape[1] :], skip_special_tokens=True)
    assert text == expected and text
    assert "".join(gen.stream(QUESTION, GREEDY)) == text


def test_tiny_model_converts_to_onnx_and_generates_through_ortgenai(
    tiny_model: Path, tmp_path: Path
) -> None:
    onnx_dir = hf_to_ortgenai(tiny_model, tmp_path / "onnx", precision="fp32")
    gen = build_generator("ortgenai", model_path=onnx_dir)
    first = gen.generate(QUESTION, GREEDY)
    assert first and gen.generate(QUESTION, GREEDY) == first
    assert "".join(gen.stream(QUESTION, GREEDY)) == first
    with pytest.raises(GenerationTimeout):
        gen.generate(QUESTION, GenerationOptions(deadline=time.monotonic() - 1))


def test_default_build_is_int8(tiny_model: Path, tmp_path: Path) -> None:
    """int4 re-rounds the GGUF's 4-bit weights onto another grid (see convert's docstring)."""
    import onnx

    onnx_dir = hf_to_ortgenai(tiny_model, tmp_path / "onnx")
    graph = onnx.load(str(onnx_dir / "model.onnx"), load_external_data=False).graph
    quantised = [n for n in graph.node if n.op_type == "MatMulNBits"]
    attrs = [{a.name: onnx.helper.get_attribute_value(a) for a in n.attribute} for n in quantised]
    assert quantised and all(a["bits"] == 8 for a in attrs)
    gen = build_generator("ortgenai", model_path=onnx_dir)
    assert gen.generate(QUESTION, GREEDY) == gen.generate(QUESTION, GREEDY)


def test_ortgenai_loads_by_default_the_folder_convert_writes() -> None:
    """Otherwise a fresh setup builds one folder, loads another and falls back to extractive."""
    from generators.settings import TextSettings

    settings = TextSettings.from_env({}, models_dir=Path("models"))
    assert settings.backend_kwargs() == {"model_path": DEFAULT_OUT / ONNX_DIR}
    assert TextSettings.from_env({}, models_dir=MODELS_DIR).local_model_path == (
        MODELS_DIR / MODEL_SUBDIR / ONNX_DIR
    )


@pytest.mark.parametrize("backend", ["transformers", "ortgenai"])
def test_missing_model_folder_says_how_to_build_it(backend: str, tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match=r"generators\.backends\.convert"):
        build_generator(backend, model_path=tmp_path / "absent")


@pytest.mark.slow
@pytest.mark.parametrize(("backend", "folder"), [("ortgenai", ONNX_DIR), ("transformers", "hf")])
def test_default_model_answers_greedily_and_deterministically(backend: str, folder: str) -> None:
    path = MODELS_DIR / MODEL_SUBDIR / folder
    if not path.exists():
        pytest.skip(f"{path} not built; run `python -m generators.backends.convert`")
    gen = build_generator(backend, model_path=path)
    question = [Message("user", "What is the capital of France?")]
    options = GenerationOptions(max_new_tokens=24)
    answer = gen.generate(question, options)
    assert "Paris" in answer
    assert gen.generate(question, options) == answer
