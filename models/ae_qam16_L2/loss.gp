set terminal pngcairo size 800,450 noenhanced
set output 'models/ae_qam16_L2/loss.png'
set datafile separator ','
set xlabel 'step'
set ylabel 'binary cross-entropy'
set logscale y
set grid
plot 'models/ae_qam16_L2/loss.csv' using (strcol(1) eq 'two-step' ? $3 : 1/0):4 with lines lw 2 title 'two-step (tanh surrogate, then decoder on sign)', '' using (strcol(1) eq 'ste' ? $3 : 1/0):4 with lines lw 2 title 'straight-through sign', '' using (strcol(1) eq 'multibit' ? $3 : 1/0):4 with lines lw 2 title 'receiver, joint float/8/4/2/1 bits', '' using (strcol(2) eq 'tx 2 bits' ? $3 : 1/0):4 with lines lw 1 title 'transmitter at 2 bits (receiver frozen)', '' using (strcol(2) eq 'tx 1 bits' ? $3 : 1/0):4 with lines lw 1 title 'transmitter at 1 bit (receiver frozen)'
