#!/usr/bin/env bash
# Installs ogi and everything it needs: Debian packages (when root), a virtualenv in .venv,
# and the package itself. Safe to run again. Usage: bash scripts/install.sh [--test]
set -euo pipefail
cd "$(dirname "$0")/.."

SYSTEM_PACKAGES=(fonts-noto-cjk libharfbuzz-subset0 poppler-utils libpango-1.0-0 libpangoft2-1.0-0 graphviz)
with_test=0
[ "${1:-}" = "--test" ] && with_test=1

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for p in "${SYSTEM_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
fi
PY=${PYTHON:-python3}
if ! "$PY" -c 'import ensurepip, venv' >/dev/null 2>&1; then
  missing+=("python3-venv")
fi
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "==> 安装系统软件包：${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "缺少系统软件包：${missing[*]}" >&2
    echo "请以管理员身份运行：sudo apt-get install -y ${missing[*]}" >&2
    echo "（缺少中文字体时无法生成 PDF 文书；其他功能不受影响。）" >&2
    if [[ " ${missing[*]} " == *" python3-venv "* ]]; then exit 1; fi
  fi
fi

if ! "$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)'; then
  echo "需要 Python 3.11 或更新版本（当前：$("$PY" --version 2>&1)）。可用 PYTHON=python3.11 指定。" >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  echo "==> 创建虚拟环境 .venv"
  "$PY" -m venv .venv
fi
echo "==> 安装 ogi 及其依赖"
# setuptools notes every editable install of a package whose directory is the repository root
# ("Editable installation ... folders with the same name"): information, not a problem; not shown.
export PYTHONWARNINGS="${PYTHONWARNINGS:+$PYTHONWARNINGS,}ignore:Editable installation"
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip >/dev/null
if [ $with_test = 1 ]; then
  .venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'
else
  .venv/bin/python -m pip install -q --disable-pip-version-check -e .
fi
echo "==> 已安装：$(.venv/bin/ogi --version)。命令补全（Tab 键补全命令和选项）：.venv/bin/ogi completion install"
