# zsh -f complete.zsh DIR LINE: prints the candidates zsh's completion
# system (compinit, with DIR first in fpath) offers at the end of LINE, one
# a line. Completion runs only in the line editor of an interactive shell,
# so one runs on a pseudo-terminal (zsh/zpty); there every match added is
# printed between two markers, and the shell exits after the first TAB.
zmodload zsh/zpty || exit 2
dir=$1
line=$2
setup=$(mktemp)
trap 'rm -f $setup' EXIT
cat >$setup <<SETUP
PROMPT=''
fpath=(${(q)dir} \$fpath)
autoload -Uz compinit && compinit -u -D
compadd() {
    # -O, -A and -D collect matches for the caller: nothing is offered.
    if (( \${@[(I)-[OAD]]} )); then
        builtin compadd "\$@"
        return
    fi
    local -a offered
    builtin compadd -O offered "\$@"
    (( \${#offered} )) && print -rl -- "\${offered[@]}"
    builtin compadd "\$@"
}
complete_begin() { print -r -- '<<begin>>' }
complete_end() { print -r -- '<<end>>'; exit }
compprefuncs=(complete_begin)
comppostfuncs=(complete_end)
bindkey '^I' complete-word
print -r -- '<<ready>>'
SETUP
zpty shell zsh -f -i
zpty -w shell "source ${(q)setup}"
out=
while zpty -r shell chunk; do out+=$chunk; [[ $out == *'<<ready>>'* ]] && break; done
zpty -w -n shell "$line"$'\t'
out=
while zpty -r shell chunk; do out+=$chunk; [[ $out == *'<<end>>'* ]] && break; done
zpty -d shell
out=${out//$'\r'/}
out=${out#*'<<begin>>'$'\n'}
print -rn -- "${out%%'<<end>>'*}"
