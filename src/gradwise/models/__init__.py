"""Model zoo: ``gw.models.<name>(num_classes=..., ...)`` with torchvision's names and signatures,
``create(name, **kwargs)`` and ``list_models()``.

Every model is built from a dataclass config. Where torchvision has the model, the module
names, state_dict keys and parameter counts are torchvision's.
"""
from .adding import AddingModel, adding_rnn, chrono_init
from .alexnet import AlexNet, AlexNetConfig, alexnet
from .alphago import AlphaGoPolicyConfig, AlphaGoPolicyNet, PositionBias, alphago_policy
from .autoregression import RidgeOnDelays
from .captioner import Captioner, CaptionerConfig, captioner, doubly_stochastic_penalty
from .densenet import (
    DenseNet, DenseNetConfig, densenet121, densenet161, densenet169, densenet201,
    densenet_bc_cifar,
)
from .ensemble import Ensemble
from .googlenet import GoogLeNet, GoogLeNetConfig, GoogLeNetOutputs, googlenet
from .highway import HighwayConfig, HighwayLayer, HighwayNet, highway
from .inception_v3 import Inception3, Inception3Config, InceptionOutputs, inception_v3
from .lenet import LeNet5, LeNetConfig, lenet5
from .registry import create, get_model_builder, list_models, register
from .rnn_classifier import RNNClassifier, rnn_classifier
from .rnn_lm import RNNLanguageModel, rnn_lm
from .seq2seq import Hypothesis, Seq2Seq, Seq2SeqConfig, seq2seq
from .resnet import (
    BasicBlock, Bottleneck, CifarResNet, CifarResNetConfig, ResNet, ResNetConfig, resnet18,
    plain20, plain56, resnet20, resnet32, resnet34, resnet44, resnet50, resnet56, resnet101,
    resnet110, resnet152,
    resnext50_32x4d, wide_resnet50_2,
)
from .tagger import BiLSTMTagger, CharCNN, bilstm_tagger
from .textcnn import TextCNN, TextCNNConfig, max_norm_, textcnn
from .vgg import (
    VGG, VGGConfig, vgg11, vgg11_bn, vgg13, vgg13_bn, vgg16, vgg16_bn, vgg19, vgg19_bn,
)
from .vit import DEIT_TINY, ViTConfig, VisionTransformer, vit_tiny
